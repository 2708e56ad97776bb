package io.sidecarinitializer.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Go's time.Duration text: what ParseDuration accepts and exactly what String() prints (checked against Go). */
class GoDurationTest {

    /** Canonical forms: String() prints these, and ParseDuration reads them back to the same value. */
    @ParameterizedTest(name = "{1} ns <-> {0}")
    @CsvSource({
        "0s,                 0",
        "1ns,                1",
        "999ns,              999",
        "1µs,                1000",
        "1.5µs,              1500",
        "500ms,              500000000",
        "1.5ms,              1500000",
        "1s,                 1000000000",
        "1.5s,               1500000000",
        "2s,                 2000000000",
        "59.999999999s,      59999999999",
        "1m0s,               60000000000",
        "1m30s,              90000000000",
        "1m30.5s,            90500000000",
        "1h0m0s,             3600000000000",
        "1h30m0.5s,          5400500000000",
        "2h45m0s,            9900000000000",
        "100h0m0s,           360000000000000",
        "-1.5s,              -1500000000",
    })
    void formatsExactlyAsGoAndParsesBack(String text, long nanos) {
        assertThat(GoDuration.format(nanos)).isEqualTo(text);
        assertThat(GoDuration.parse(text)).isEqualTo(nanos);
    }

    /** Other spellings Go's ParseDuration accepts, and the canonical form they print as. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1.5h,           1h30m0s",
        "90s,            1m30s",
        "0,              0s",
        "0.5s,           500ms",
        ".5s,            500ms",
        "1us,            1µs",
        "1μs,            1µs",
        "1000ms,         1s",
        "1h1m1s1ms1us1ns, 1h1m1.001001001s",
        "2m3s,           2m3s",
        "+2s,            2s",
        "1.000000001s,   1.000000001s",
    })
    void parsesOtherGoSpellingsToTheSameValue(String text, String canonical) {
        Long nanos = GoDuration.parse(text);

        assertThat(nanos).isNotNull();
        assertThat(GoDuration.format(nanos)).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"2", "s", "2 s", "abc", "", "1d", "1sec", "-", "1s2", "2ss", "s2", "1.5", "ms", "1,5s", "1h-1m"})
    void rejectsTextGoDoesNotParse(String text) {
        assertThat(GoDuration.parse(text)).isNull();
    }
}
