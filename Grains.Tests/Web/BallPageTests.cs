using System.Net;
using System.Net.Sockets;
using System.Text;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Web;

// Alone: a thousand requests at once for one visitor queue behind each other on one grain.
[Collection(RunsAlone.Name)]
public sealed class BallPageTests(PostgresServer postgres) : IAsyncLifetime, IClassFixture<PostgresServer>
{
    private BallWebApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        // One visitor's visits queue behind each other: the last of a thousand at once waits a
        // second or two, longer than an attempt may (Visits:AttemptTimeout, 1 s, which is there to
        // escape a frozen silo); past it they are answered "unknown" rather than risk a double
        // count. These tests are about counting, so their attempts (and the grain calls under them,
        // Orleans:CallTimeout, 3 s) wait long enough.
        _app = new BallWebApp(await postgres.CreateDatabaseAsync("ballpage"), settings: new Dictionary<string, string?>
        {
            ["Visits:AttemptTimeout"] = "00:00:30",
            ["Orleans:CallTimeout"] = "00:00:30",
        });
        _client = _app.CreateCookielessClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_first_visit_shows_a_ball_and_sets_one_cookie_for_400_days()
    {
        using var response = await _client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ball_visitor=", cookie);
        Assert.Contains("max-age=34560000", cookie);
        Assert.Contains("httponly", cookie);
        Assert.Contains("samesite=lax", cookie);
        Assert.DoesNotContain("secure", cookie); // plain http here; https requests get Secure
        var ball = Pages.ReadBall(await response.Content.ReadAsStringAsync());
        Assert.Contains(ball.Color, new[] { "red", "blue" });
        Assert.Equal(1, ball.Views);
    }

    [Fact]
    public async Task The_page_says_the_color_in_words_and_carries_security_headers()
    {
        using var response = await _client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();
        var ball = Pages.ReadBall(html);

        Assert.Contains($"You have seen the <strong>{ball.Color}</strong> ball 1 time.", html);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public async Task A_returning_visitor_sees_the_same_color_and_one_more_view_each_time()
    {
        var (id, first) = await NewVisitorAsync();

        var second = await VisitAsync(id);
        var third = await VisitAsync(id);

        Assert.Equal(first.Color, second.Ball.Color);
        Assert.Equal(first.Color, third.Ball.Color);
        Assert.Equal([2L, 3L], [second.Ball.Views, third.Ball.Views]);
        Assert.Null(second.NewId);
        Assert.Null(third.NewId);
    }

    [Fact]
    public async Task A_thousand_concurrent_requests_with_one_cookie_add_exactly_a_thousand_views()
    {
        var (id, first) = await NewVisitorAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await SendAsync(HttpMethod.Get, id);
            return response.StatusCode;
        }));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var after = await VisitAsync(id);
        Assert.Equal(first.Views + 1001, after.Ball.Views);
    }

    public static TheoryData<string> BadCookies => new()
    {
        "",
        new string('x', 10 * 1024),
        "' OR '1'='1'; DROP TABLE ball_grain_state; --",
        "1234567890123456789012",
        "%00%ff%fe",
        "AAAAAAAAAAAAAAAAAAAAAB",
    };

    [Theory]
    [MemberData(nameof(BadCookies))]
    public Task A_bad_cookie_gets_a_fresh_visitor(string value) => AssertFreshVisitorForCookieAsync(value);

    [Fact]
    public Task A_well_formed_id_that_was_never_minted_gets_a_fresh_visitor() =>
        AssertFreshVisitorForCookieAsync(BallOrleans.Grains.Visitors.VisitorId.NewId());

    [Fact]
    public async Task A_cookie_that_is_not_utf8_gets_a_fresh_visitor()
    {
        // HttpClient refuses to send such bytes, so this speaks HTTP/1.1 over a raw socket.
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, _app.Port);
        var stream = socket.GetStream();
        var head = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: ball_visitor=");
        byte[] invalidUtf8 = [0xC3, 0x28, 0xFF, 0xFE, 0x80];
        await stream.WriteAsync(head.Concat(invalidUtf8).Concat(Encoding.ASCII.GetBytes("\r\n\r\n")).ToArray());
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Matches("(?im)^Set-Cookie: ball_visitor=[A-Za-z0-9_-]{22}\\.1\\.[A-Za-z0-9_-]{22};", response);
    }

    [Fact]
    public async Task Head_requests_prefetches_and_crawlers_see_the_ball_without_being_counted()
    {
        var (id, first) = await NewVisitorAsync();

        using (var head = await SendAsync(HttpMethod.Head, id))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.False(head.Headers.Contains("Set-Cookie"));
        }

        var prefetch = await VisitAsync(id, ("Sec-Purpose", "prefetch"));
        var crawler = await VisitAsync(id, ("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
        var real = await VisitAsync(id);

        Assert.Equal(first.Views, prefetch.Ball.Views);
        Assert.Equal(first.Views, crawler.Ball.Views);
        Assert.Equal(first.Color, crawler.Ball.Color);
        Assert.Equal(first.Views + 1, real.Ball.Views);
    }

    [Fact]
    public async Task A_crawler_without_a_cookie_gets_no_cookie()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0)");
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Pages.NewVisitorId(response));
        Assert.Contains(Pages.ReadBall(await response.Content.ReadAsStringAsync()).Color, new[] { "red", "blue" });
    }

    private async Task<(string Id, Pages.Ball Ball)> NewVisitorAsync()
    {
        using var response = await _client.GetAsync("/");
        var id = Pages.NewVisitorId(response) ?? throw new InvalidOperationException("no cookie on a first visit");
        return (id, Pages.ReadBall(await response.Content.ReadAsStringAsync()));
    }

    private async Task<(Pages.Ball Ball, string? NewId)> VisitAsync(string id, params (string Name, string Value)[] headers)
    {
        using var response = await SendAsync(HttpMethod.Get, id, headers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (Pages.ReadBall(await response.Content.ReadAsStringAsync()), Pages.NewVisitorId(response));
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string id, params (string Name, string Value)[] headers) =>
        SendWithCookieHeaderAsync(method, $"ball_visitor={id}", headers);

    private async Task<HttpResponseMessage> SendWithCookieHeaderAsync(HttpMethod method, string cookieHeader, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, "/");
        request.Headers.TryAddWithoutValidation("Cookie", cookieHeader);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _client.SendAsync(request);
    }

    private async Task AssertFreshVisitorForCookieAsync(string value)
    {
        using var response = await SendWithCookieHeaderAsync(HttpMethod.Get, $"ball_visitor={value}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var newId = Pages.NewVisitorId(response);
        Assert.NotNull(newId);
        Assert.NotEqual(value, newId);
        Assert.Equal(1, Pages.ReadBall(await response.Content.ReadAsStringAsync()).Views);
    }
}
