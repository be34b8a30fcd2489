package dev.tokenledger.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenledger.orchestrator.DeadLetterFixture;
import dev.tokenledger.orchestrator.DemoData;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The usage page in a real headless Chromium (Debian's chromium and chromium-driver), on the demo's
 * dataset: the charts render, the total on the page equals the report endpoint's to the last digit, a
 * filter changes both the view and the URL, and screenshots land in target/ui for a person to look at.
 */
class UsagePageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String KEY = "ui-test-key-0123456789abcdef";
    private static RunningApi api;
    private static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!installed) {
            System.out.println("[UsagePageBrowserTest] skipped: needs Debian's chromium and chromium-driver"
                    + " (/usr/bin/chromium, /usr/bin/chromedriver); .ci/run installs them with apt-get");
        }
        assumeTrue(installed, "chromium and chromium-driver are not installed");
        api = RunningApi.start("ui_page", KEY, Map.of());
        DemoData.record(api.ledger, 800);
        DemoData.awaitWritten(api.ledger, Duration.ofSeconds(60));

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1500",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void thePageChartsTheDemoDataWithTotalsEqualToTheReportEndpointAndAFilterNarrowsItInTheUrl() throws Exception {
        // A browser can only send Basic credentials: any user name, the API key as the password. Given once
        // (as a person would type them into the prompt), the browser keeps them for the page's requests.
        String base = api.api.url().toString();
        assertThat(api.client.put("/v1/budgets/globex-monthly", """
                {"workspace": "globex", "period": "month", "limit_usd": "25"}""").status()).isEqualTo(201);
        browser.get(base.replace("http://", "http://admin:" + KEY + "@") + "/ui/style.css");
        browser.get(base + "/ui");
        awaitRendered();

        BigDecimal pageTotal = new BigDecimal(browser.findElement(By.tagName("body")).getAttribute("data-total-cost"));
        BigDecimal endpointTotal = total(api.client.get("/v1/reports/model?limit=1000").json());
        assertThat(pageTotal).isPositive().isEqualByComparingTo(endpointTotal);
        assertThat(browser.findElements(By.cssSelector("#chart-days svg path")).size()).isGreaterThan(10);
        for (String chart : new String[] {"chart-model", "chart-user", "chart-workspace", "chart-agent", "chart-tokens"}) {
            assertThat(browser.findElements(By.cssSelector("#" + chart + " svg path"))).as(chart).isNotEmpty();
        }
        assertThat(browser.findElement(By.id("unpriced-share")).getText()).as("the demo's unknown model").doesNotStartWith("0.0%");
        assertThat(browser.findElement(By.id("status")).getText()).contains("llm_usage_daily");
        WebElement deadLetters = browser.findElement(By.cssSelector("#health [data-check=dead_letters]"));
        assertThat(deadLetters.getText()).isEqualTo("dead letters: none unresolved");
        assertThat(deadLetters.getAttribute("class")).isEqualTo("ok");
        // The budget's burn-down: the figure on its card is the endpoint's, to the last digit, and it is drawn.
        WebElement budget = browser.findElement(By.cssSelector("#budgets [data-budget=globex-monthly]"));
        assertThat(browser.findElement(By.id("budgets")).isDisplayed()).isTrue();
        JsonNode burnDown = api.client.get("/v1/reports/budgets?name=globex-monthly").json().get(0);
        assertThat(new BigDecimal(budget.getAttribute("data-spend")))
                .isEqualByComparingTo(burnDown.get("spend_usd").asText());
        assertThat(new BigDecimal(budget.getAttribute("data-forecast"))).as("the forecast moves with the clock")
                .isGreaterThanOrEqualTo(new BigDecimal(burnDown.get("spend_usd").asText()));
        assertThat(budget.findElements(By.cssSelector("svg path"))).as("the burn-down chart").isNotEmpty();
        assertThat(budget.getText()).contains("forecast", "of $25.00");
        screenshot("usage-all-workspaces.png");

        new Select(browser.findElement(By.name("workspace"))).selectByVisibleText("globex");
        browser.findElement(By.cssSelector("#filters button")).click();
        awaitRendered();
        assertThat(browser.getCurrentUrl()).contains("workspace=globex");
        BigDecimal filtered = new BigDecimal(browser.findElement(By.tagName("body")).getAttribute("data-total-cost"));
        assertThat(filtered).isPositive().isLessThan(pageTotal)
                .isEqualByComparingTo(total(api.client.get("/v1/reports/model?limit=1000&workspace=globex").json()));
        screenshot("usage-globex.png");

        // The filtered view is a link: opened afresh, it shows the same numbers.
        browser.get(browser.getCurrentUrl());
        awaitRendered();
        assertThat(new BigDecimal(browser.findElement(By.tagName("body")).getAttribute("data-total-cost")))
                .isEqualByComparingTo(filtered);
    }

    @Test
    void theHealthStripShowsUnresolvedDeadLettersHighlightedUntilTheyAreResolved() throws Exception {
        String base = api.api.url().toString();
        browser.get(base.replace("http://", "http://admin:" + KEY + "@") + "/ui/style.css");
        UUID id = DeadLetterFixture.deadLetter(api.ledger);
        try {
            browser.get(base + "/ui");
            awaitRendered();
            WebElement deadLetters = browser.findElement(By.cssSelector("#health [data-check=dead_letters]"));
            assertThat(deadLetters.getText()).isEqualTo("dead letters: 1 unresolved");
            assertThat(deadLetters.getAttribute("class")).isEqualTo("degraded");
            assertThat(deadLetters.getAttribute("title")).contains("./tokenledger dead-letters list");
            screenshot("usage-dead-letter.png");
        } finally {
            api.ledger.deadLetters().discard(id, "a test event", "test");
        }
        browser.get(base + "/ui");
        awaitRendered();
        assertThat(browser.findElement(By.cssSelector("#health [data-check=dead_letters]")).getAttribute("class"))
                .isEqualTo("ok");
    }

    @Test
    void withoutAKeyTheBrowserIsAskedForOne() {
        ApiClient.Reply reply = api.client.withKey(null).get("/ui");
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        String basic = "Basic " + Base64.getEncoder().encodeToString(("anyone:" + KEY).getBytes());
        assertThat(api.client.withKey(null).send(api.client.withKey(null).request("/ui").header("Authorization", basic))
                .status()).isEqualTo(200);
    }

    private static void awaitRendered() {
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            String state = d.findElement(By.tagName("body")).getAttribute("data-rendered");
            if ("error".equals(state)) {
                throw new AssertionError("the page failed: " + d.findElement(By.id("status")).getText());
            }
            return "true".equals(state);
        });
    }

    private static BigDecimal total(JsonNode report) {
        return new BigDecimal(report.get("total_cost_usd").asText());
    }

    private static void screenshot(String name) throws Exception {
        Path dir = Path.of("target", "ui");
        Files.createDirectories(dir);
        Files.write(dir.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
