# syntax=docker/dockerfile:1
# Build: docker build -t sidecar-initializer:0.1.0 .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
# Dependencies in their own layer: source edits do not re-download them.
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre-alpine
RUN addgroup -S -g 10001 app && adduser -S -u 10001 -G app -H -h /app app
WORKDIR /app
COPY --from=build /src/target/sidecar-initializer.jar /app/sidecar-initializer.jar
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/sidecar-initializer.jar"]
CMD ["controller"]
