package io.fieldlink.sample;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample's checks as pure functions; SampleContainerIT proves them on the real server. */
class CrossSiteGuardTest {

    @Test
    void aStateChangingRequestNeedsTheHeaderWithValueOne() {
        assertThat(CrossSiteGuard.refusal(null, null, "127.0.0.1:8080")).contains("X-FieldLink-Request: 1");
        assertThat(CrossSiteGuard.refusal("true", null, "127.0.0.1:8080")).contains("X-FieldLink-Request: 1");
        assertThat(CrossSiteGuard.refusal("1", null, "127.0.0.1:8080")).isNull(); // curl, scripts: no Origin
        assertThat(CrossSiteGuard.refusal("1", "http://127.0.0.1:8080", "127.0.0.1:8080")).isNull();
    }

    @Test
    void onlyThisServersOwnOriginPasses() {
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1:8080", "127.0.0.1:8080")).isTrue();
        assertThat(CrossSiteGuard.sameOrigin("http://LOCALHOST:8080", "localhost:8080")).isTrue();
        assertThat(CrossSiteGuard.sameOrigin("http://[::1]:8080", "[::1]:8080")).isTrue();
        assertThat(CrossSiteGuard.sameOrigin("https://plant.example", "plant.example")).as("behind a TLS proxy").isTrue();
        assertThat(CrossSiteGuard.sameOrigin("http://plant.example", "plant.example:80")).isTrue();

        assertThat(CrossSiteGuard.sameOrigin("http://evil.example", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1:8081", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://localhost:8080", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("https://plant.example", "plant.example:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("null", "127.0.0.1:8080")).as("sandboxed frame, file:").isFalse();
        assertThat(CrossSiteGuard.sameOrigin("file://", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1:8080/x", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1:8080", null)).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://127.0.0.1:8080", "")).isFalse();
        assertThat(CrossSiteGuard.sameOrigin("http://a b", "127.0.0.1:8080")).isFalse();
        assertThat(CrossSiteGuard.refusal("1", "http://evil.example", "127.0.0.1:8080")).contains("Origin http://evil.example");
    }

    @Test
    void theRequestEndpointSwitchIsOnByDefaultAndOffForAnythingButOn() {
        assertThat(RequestEndpointSwitch.offBecause(null, null)).isNull();
        assertThat(RequestEndpointSwitch.offBecause("on", null)).isNull();
        assertThat(RequestEndpointSwitch.offBecause(" ON ", null)).isNull();
        assertThat(RequestEndpointSwitch.offBecause(null, "on")).isNull();
        assertThat(RequestEndpointSwitch.offBecause("off", null)).contains("fieldlink.sample.requests=off");
        assertThat(RequestEndpointSwitch.offBecause(null, "OFF")).contains("FIELDLINK_SAMPLE_REQUESTS=off");
        assertThat(RequestEndpointSwitch.offBecause("off", "on")).as("the property wins").isNotNull();
        assertThat(RequestEndpointSwitch.offBecause("of", null)).contains("'of' is neither on nor off");
        assertThat(RequestEndpointSwitch.offBecause("", null)).contains("neither on nor off");
    }

    @Test
    void theDemoSwitchesAnswerOnlyLoopbackNames() {
        assertThat(DemoResource.addressedToLoopback("127.0.0.1:8080")).isTrue();
        assertThat(DemoResource.addressedToLoopback("localhost")).isTrue();
        assertThat(DemoResource.addressedToLoopback("[::1]:8080")).isTrue();
        assertThat(DemoResource.addressedToLoopback("evil.example:8080")).isFalse();
        assertThat(DemoResource.addressedToLoopback("127.0.0.1.evil.example")).isFalse();
        assertThat(DemoResource.addressedToLoopback("192.0.2.2:8080")).isFalse();
        assertThat(DemoResource.addressedToLoopback(null)).isFalse();
    }

    @Test
    void onlyTheServersOwnNamesPassWhateverTheMethod() {
        var loopback = ServerNames.LOOPBACK;
        assertThat(CrossSiteGuard.hostRefusal("127.0.0.1:8080", loopback)).isNull();
        assertThat(CrossSiteGuard.hostRefusal("LOCALHOST", loopback)).isNull();
        assertThat(CrossSiteGuard.hostRefusal("[::1]:8080", loopback)).isNull();
        // DNS rebinding: the attacker's own name, resolving to this server
        assertThat(CrossSiteGuard.hostRefusal("evil.example:8080", loopback)).contains("Host evil.example:8080");
        assertThat(CrossSiteGuard.hostRefusal("127.0.0.1.evil.example", loopback)).isNotNull();
        assertThat(CrossSiteGuard.hostRefusal(null, loopback)).isNotNull();
        assertThat(CrossSiteGuard.hostRefusal("::1", loopback)).isNotNull();
        assertThat(CrossSiteGuard.hostRefusal("scada.plant.example", java.util.Set.of("scada.plant.example"))).isNull();
    }

    @Test
    void theAllowListTakesNamesAsUsersWriteThemAndNeverLocksEveryoneOut() {
        assertThat(ServerNames.allowed("scada.plant.example:8443, ::1 ,Name.Example.")).containsExactlyInAnyOrder(
                "scada.plant.example", "[::1]", "name.example");
        assertThat(ServerNames.allowed(" , ,")).isEqualTo(ServerNames.LOOPBACK);
        assertThat(CrossSiteGuard.hostRefusal("localhost.:8080", ServerNames.LOOPBACK)).isNull();
    }
}
