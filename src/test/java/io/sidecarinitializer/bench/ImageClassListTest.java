package io.sidecarinitializer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The image's one class list is the controller's and the webhook's training lists merged. */
class ImageClassListTest {
    @Test
    void keepsEveryClassAndLambdaLineOnceInTheOrderFirstSeenWithoutComments() {
        List<String> controller = List.of("# NOTE: Do not modify this file.", "java/lang/Object", "io/fabric8/kubernetes/client/Config",
                "@lambda-proxy java/lang/Thread run ()Ljava/lang/Runnable; ()V 6 x ()V");
        List<String> webhook = List.of("# NOTE: Do not modify this file.", "java/lang/Object", "io/vertx/core/Vertx",
                "@lambda-proxy java/lang/Thread run ()Ljava/lang/Runnable; ()V 6 x ()V", "org/bouncycastle/asn1/ASN1Object", "");

        assertThat(ImageClassList.merge(List.of(controller, webhook))).containsExactly("java/lang/Object",
                "io/fabric8/kubernetes/client/Config", "@lambda-proxy java/lang/Thread run ()Ljava/lang/Runnable; ()V 6 x ()V",
                "io/vertx/core/Vertx", "org/bouncycastle/asn1/ASN1Object");
    }

    @Test
    void refusesClassesOfACustomLoaderWhoseIdsTwoListsWouldReuse() {
        List<String> custom = List.of("com/example/Plugin id: 7 super: 1 source: /tmp/plugin.jar");

        assertThatThrownBy(() -> ImageClassList.merge(List.of(List.of("java/lang/Object"), custom)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("com/example/Plugin id: 7");
    }
}
