package dev.tokenledger.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The endpoint's mapping of ClickHouse's HTTP interface onto chDB, checked with plain HTTP requests. */
class ChdbHttpEndpointTest {
    private static ChdbHttpEndpoint endpoint;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        endpoint = ChdbHttpEndpoint.start(ChdbEngine.open(TestClickHouse.engineDataDir()));
    }

    @AfterAll
    static void stop() {
        endpoint.close();
        http.close();
    }

    private static HttpResponse<String> post(String urlParams, String body, String format) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url() + "/?" + urlParams))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (format != null) {
            request.header("X-ClickHouse-Format", format);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aSettingSentWithOneRequestAppliesToThatRequestOnly() throws Exception {
        String sql = "SELECT getSetting('max_threads') AS t";

        assertThat(post("max_threads=3", sql, "TSV").body()).isEqualTo("3\n");
        assertThat(post("", sql, "TSV").body()).isNotEqualTo("3\n");
    }

    @Test
    void theFormatUsedIsEchoedEvenWhenTheSqlChoosesItsOwn() throws Exception {
        HttpResponse<String> requested = post("", "SELECT 1 AS one", "JSONEachRow");
        HttpResponse<String> own = post("", "SELECT 1 AS one FORMAT CSVWithNames", "JSONEachRow");

        assertThat(requested.headers().firstValue("X-ClickHouse-Format")).hasValue("JSONEachRow");
        assertThat(requested.body()).isEqualTo("{\"one\":1}\n");
        assertThat(own.headers().firstValue("X-ClickHouse-Format")).hasValue("CSVWithNames");
    }

    @Test
    void boundParametersComeFromParamPrefixedUrlParameters() throws Exception {
        HttpResponse<String> r = post("param_n=" + URLEncoder.encode("41", StandardCharsets.UTF_8), "SELECT {n:UInt8} + 1", "TSV");

        assertThat(r.body()).isEqualTo("42\n");
    }

    @Test
    void anEngineErrorIsHttp500WithTheExceptionCodeHeader() throws Exception {
        HttpResponse<String> r = post("", "SELEC 1", "TSV");

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.headers().firstValue("X-ClickHouse-Exception-Code")).hasValue("62");
        assertThat(r.body()).startsWith("Code: 62.");
    }

    @Test
    void askingForCompressedResponsesIsRefusedWithTheFix() throws Exception {
        HttpResponse<String> r = post("compress=1", "SELECT 1", "TSV");

        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).contains("compressServerResponse(false)");
    }
}
