using System.Net;
using System.Text.Json;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BallOrleans.Tests.Admin;

/// <summary>The admin pages behind one scheme and one policy, on the real site over real sockets.</summary>
public sealed class AdminAccessTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly string[] AdminPaths =
        ["/stats", "/stats/live", "/api/stats", "/api/visitors", "/api/visitors.csv", "/metrics", "/dashboard/"];

    private static readonly IPAddress Attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Bystander = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task Every_admin_page_answers_one_challenge_without_the_credential_and_200_with_it()
    {
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("admin_challenge"));
        using var anonymous = site.CreateCookielessClient();
        using var admin = site.ClientFrom(IPAddress.Loopback, BallWebApp.Basic("admin", BallWebApp.Password));

        foreach (var path in AdminPaths)
        {
            // Loopback gets no favour once a password is set.
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(AdminBasicHandler.Challenge, Assert.Single(refused.Headers.GetValues("WWW-Authenticate")));
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no-store", refused.Headers.CacheControl?.ToString());

            using var served = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("no-store", served.Headers.CacheControl?.ToString());
        }

        foreach (var (user, password) in new[] { ("admin", "not the password at all"), ("root", BallWebApp.Password) })
        {
            using var wrong = site.ClientFrom(IPAddress.Loopback, BallWebApp.Basic(user, password));
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/stats")).StatusCode);
        }

        // The ball page and the probes stay public.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Ten_wrong_passwords_lock_that_address_out_until_the_window_passes_and_no_other()
    {
        // The throttle's own clock is a fake one: the test moves it past the window instead of waiting.
        var window = TimeSpan.FromMinutes(1);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("admin_throttle"), services: services => services.AddSingleton(
            provider => new FailedLoginThrottle(provider.GetRequiredService<IOptions<FailedLoginOptions>>(), clock)));
        using var guesser = site.ClientFrom(Attacker, BallWebApp.Basic("admin", "a wrong guess, long enough"));
        using var attackerWithThePassword = site.ClientFrom(Attacker, BallWebApp.Basic("admin", BallWebApp.Password));
        using var bystander = site.ClientFrom(Bystander, BallWebApp.Basic("admin", BallWebApp.Password));
        using var bystanderGuessing = site.ClientFrom(Bystander, BallWebApp.Basic("admin", "another wrong guess"));
        Assert.Equal(HttpStatusCode.OK, (await attackerWithThePassword.GetAsync("/api/stats")).StatusCode);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/stats")).StatusCode);
        }

        using var locked = await guesser.GetAsync("/api/stats");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        var retryAfter = locked.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), window);
        Assert.Equal("application/problem+json", locked.Content.Headers.ContentType?.MediaType);

        // The right password from the locked address is refused too, on every admin page.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await attackerWithThePassword.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await attackerWithThePassword.GetAsync("/dashboard/")).StatusCode);
        // Another address is not: neither its right password nor its own first failures.
        Assert.Equal(HttpStatusCode.OK, (await bystander.GetAsync("/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bystanderGuessing.GetAsync("/api/stats")).StatusCode);
        // Nor is the ball page, for anyone.
        using var visitor = site.ClientFrom(Attacker);
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync("/")).StatusCode);

        // Just before Retry-After has passed, it is still locked; once it has, the right password works again.
        clock.Advance(retryAfter.Value - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await attackerWithThePassword.GetAsync("/api/stats")).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(300));
        Assert.Equal(HttpStatusCode.OK, (await attackerWithThePassword.GetAsync("/api/stats")).StatusCode);
    }

    [Fact]
    public async Task Without_a_password_the_admin_pages_answer_loopback_clients_only()
    {
        // Behind the proven ingress proxy the client's address comes from X-Forwarded-For.
        using var ingress = new TestIngress();
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("admin_loopback"), adminPassword: null, ingress: ingress);
        using var local = site.CreateCookielessClient();
        using var remote = site.ProvenProxyClient();
        remote.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");

        foreach (var path in AdminPaths)
        {
            using var refused = await remote.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.False(refused.Headers.Contains("WWW-Authenticate"), "a challenge for a password that does not exist");
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Contains("Stats__AdminPassword", problem.GetProperty("detail").GetString());

            Assert.Equal(HttpStatusCode.OK, (await local.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("evil.example:8080", false)]
    [InlineData("evil.example", false)]
    [InlineData("127.0.0.1.evil.example", false)]
    [InlineData("localhost:8080", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("127.0.0.1:9", true)]
    [InlineData("[::1]:8080", true)]
    public async Task Without_a_password_a_loopback_client_must_call_the_site_by_a_loopback_name(string host, bool served)
    {
        // A page whose name was re-pointed at 127.0.0.1 (DNS rebinding) reaches the site from the
        // operator's own browser, as a loopback client, but still sends its own name as Host.
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("admin_host"), adminPassword: null);
        using var local = site.CreateCookielessClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/visitors.csv");
        request.Headers.Host = host;

        using var answer = await local.SendAsync(request);

        Assert.Equal(served ? HttpStatusCode.OK : HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Equal(served ? "text/csv" : "application/problem+json", answer.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Sixty_four_parallel_wrong_guesses_get_at_most_ten_answers_that_are_not_429()
    {
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("admin_parallel"));
        using var guesser = site.ClientFrom(Attacker, BallWebApp.Basic("admin", "a wrong guess, long enough"));
        using var start = new SemaphoreSlim(0);

        var guesses = Enumerable.Range(0, 64).Select(async _ =>
        {
            await start.WaitAsync();
            using var answer = await guesser.GetAsync("/api/stats");
            return answer.StatusCode;
        }).ToList();
        start.Release(guesses.Count);
        var answers = await Task.WhenAll(guesses);

        Assert.All(answers, a => Assert.Contains(a, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.InRange(answers.Count(a => a != HttpStatusCode.TooManyRequests), 1, 10);
    }
}
