# syntax=docker/dockerfile:1
# Build: docker build -t sidecar-initializer:0.1.0 .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
# Dependencies in their own layer: source edits do not re-download them.
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY manifests ./manifests
RUN mvn -B -q package -DskipTests
# Training run for class-data sharing: the controller against an in-process mock API server, listing the classes
# it loads (README "Performance": start-up about 0.6 s faster).
RUN mvn -B -q exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.sidecarinitializer.bench.ControllerClassList \
        -Dexec.args="target/sidecar-initializer.jar target/controller.classlist"

FROM eclipse-temurin:17-jre-alpine
RUN addgroup -S -g 10001 app && adduser -S -u 10001 -G app -H -h /app app
WORKDIR /app
COPY --from=build /src/target/sidecar-initializer.jar /src/target/controller.classlist /app/
# The archive must come from the JVM that runs it, so it is made here, for exactly this jar path.
RUN java -Xshare:dump -XX:SharedClassListFile=/app/controller.classlist -XX:SharedArchiveFile=/app/controller.jsa \
        -cp /app/sidecar-initializer.jar -Xlog:cds=off -Xlog:cds+dynamic=off \
    && rm /app/controller.classlist
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/controller.jsa", "-jar", "/app/sidecar-initializer.jar"]
CMD ["controller"]
