package io.sidecarinitializer.config;

/** Kubernetes container image pull policies, spelled as the API spells them. */
public enum ImagePullPolicy {
    Always, IfNotPresent, Never
}
