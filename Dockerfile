# syntax=docker/dockerfile:1
# Build: docker build -t sidecar-initializer:0.1.0 .     (or podman build; README "The container image")
# The base images are arguments: the build stage needs a JDK 17 and `mvn`, the runtime stage only `java` 17 on the
# PATH (src/test/image/build-image.sh builds on Debian bases it makes with mmdebstrap).
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

FROM ${BUILD_IMAGE} AS build
# Extra Maven arguments, e.g. "-s settings.xml" naming a closer repository.
ARG MAVEN_BUILD_ARGS=""
WORKDIR /src
COPY pom.xml ./
COPY src ./src
COPY manifests ./manifests
# The Maven repository is a cache mount: a rebuild after any edit downloads nothing it already has.
# Then the training runs for class-data sharing: the controller and the webhook, each against an in-process mock API
# server, listing the classes they load into one list (README "Performance": a third less CPU to start).
RUN --mount=type=cache,id=sidecar-initializer-m2,target=/root/.m2/repository \
    mvn -B -q ${MAVEN_BUILD_ARGS} package -DskipTests \
    && mvn -B -q ${MAVEN_BUILD_ARGS} exec:java -Dexec.classpathScope=test \
        -Dexec.mainClass=io.sidecarinitializer.bench.ImageClassList \
        -Dexec.args="target/sidecar-initializer.jar target/image.classlist"

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /src/target/sidecar-initializer.jar /src/target/image.classlist /app/
# The archive must come from the JVM that runs it, so it is made here, for exactly this jar path. Root owns /app
# and everything in it: no front can change its own code, and none writes outside /tmp.
RUN java -Xshare:dump -XX:SharedClassListFile=/app/image.classlist -XX:SharedArchiveFile=/app/sidecar-initializer.jsa \
        -cp /app/sidecar-initializer.jar -Xlog:cds=off -Xlog:cds+dynamic=off \
    && rm /app/image.classlist \
    && chmod 0644 /app/sidecar-initializer.jsa /app/sidecar-initializer.jar
# Numeric, so it needs no user database in the base image; the manifests run as the same UID and GID.
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/sidecar-initializer.jsa", "-jar", "/app/sidecar-initializer.jar"]
CMD ["controller"]
