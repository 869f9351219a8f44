using System.Net;
using System.Security.Cryptography;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Web;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.DependencyInjection;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Security;

/// <summary>
/// The visitor cookie is signed (issue 18, item 4): forged cookies cost no grain and no database
/// read, a grain key from the cluster's own listing is no cookie, and a cookie from before signing
/// keeps its ball and comes back signed, once, within a window after signing began (issue 26, item 3).
/// </summary>
[Collection(RunsAlone.Name)]
// Two sites a test and settled table statistics: 10-30 s a test on a busy machine.
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class SignedCookieTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private const string Crawler = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    private static readonly IPAddress Prober = IPAddress.Parse("127.0.0.2");

    // Loopback is limited like anyone, so that the prober at 127.0.0.2 has a budget to spend.
    private static readonly Dictionary<string, string?> LimitedLoopback = new()
    {
        ["NewVisitors:ExemptLoopback"] = "false",
        ["NewVisitors:Burst"] = "5",
        ["NewVisitors:PerAddressPerSecond"] = "1",
    };

    [Fact]
    public async Task A_flood_of_forged_cookies_activates_no_grain_and_reads_nothing()
    {
        var database = await postgres.CreateDatabaseAsync("forged_cookies");
        await using var app = new BallWebApp(database, settings: LimitedLoopback);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var (victim, _) = await NewVisitorAsync(app.CreateCookielessClient());
        var prober = app.ClientFrom(Prober);
        using var cost = new VisitorGrainCost();
        var before = await VisitorGrainCost.SettledTableUseAsync(database, app);
        var activationsBefore = cost.ActivationsCreated;
        var visitorsBefore = await VisitorGrainCost.VisitorActivationsAsync(grains);

        // Not counted (HEAD, prefetch, crawler): these used to activate the named visitor's grain
        // and read its row, then keep it in memory for two minutes.
        var forged = Forgeries(Pages.IdOf(victim)).Take(300).ToList();
        await Parallel.ForEachAsync(forged.Select((cookie, i) => (cookie, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) =>
        {
            using var response = await SendAsync(prober, item.cookie, (item.i % 3) switch
            {
                0 => (HttpMethod.Head, Browser, null),
                1 => (HttpMethod.Get, Browser, "prefetch"),
                _ => (HttpMethod.Get, Crawler, null),
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(Pages.NewVisitorId(response));
        });

        var after = await VisitorGrainCost.SettledTableUseAsync(database, app);
        Assert.Equal(0, cost.ActivationsCreated - activationsBefore);
        Assert.Equal(visitorsBefore, await VisitorGrainCost.VisitorActivationsAsync(grains));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_counted_visit_with_a_forged_cookie_is_a_new_visitor_within_the_address_budget()
    {
        var database = await postgres.CreateDatabaseAsync("forged_visits");
        await using var app = new BallWebApp(database, settings: LimitedLoopback);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var (victim, ball) = await NewVisitorAsync(app.CreateCookielessClient());
        var prober = app.ClientFrom(Prober);
        var started = DateTime.UtcNow;
        var minted = 0;
        foreach (var cookie in Forgeries(Pages.IdOf(victim)).Take(60))
        {
            using var response = await SendAsync(prober, cookie, (HttpMethod.Get, Browser, null));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (Pages.NewVisitorId(response) is { } fresh)
            {
                Assert.NotEqual(Pages.IdOf(victim), Pages.IdOf(fresh));
                minted++;
            }
        }

        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        // No forged id reached its visitor's grain; new visitors only as fast as the address may mint them.
        Assert.Equal(0, await VisitorGrainCost.VisitorActivationsAsync(grains));
        Assert.InRange(minted, 1, 5 + (int)Math.Ceiling(seconds));
        Assert.Equal(ball.Views, await StoredViewsAsync(database, Pages.IdOf(victim)));
    }

    [Fact]
    public async Task A_grain_key_from_the_clusters_own_listing_is_not_a_cookie()
    {
        var database = await postgres.CreateDatabaseAsync("listed_keys");
        await using var app = new BallWebApp(database);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var client = app.CreateCookielessClient();
        var (cookie, _) = await NewVisitorAsync(client);
        using (var second = await SendAsync(client, cookie, (HttpMethod.Get, Browser, null)))
        {
            Assert.Equal(2, Pages.ReadBall(await second.Content.ReadAsStringAsync()).Views);
        }

        // What an outsider who joined the cluster saw in issue 18: the live visitor grains' keys.
        var listed = Assert.Single(await VisitorGrainCost.ListedVisitorKeysAsync(grains));
        Assert.Equal(Pages.IdOf(cookie), listed);

        using var stolen = await SendAsync(client, listed, (HttpMethod.Get, Browser, null));
        var fresh = Pages.NewVisitorId(stolen);
        Assert.NotNull(fresh);
        Assert.NotEqual(listed, Pages.IdOf(fresh));
        Assert.Equal(1, Pages.ReadBall(await stolen.Content.ReadAsStringAsync()).Views);
        Assert.Equal(2, await StoredViewsAsync(database, listed));
    }

    [Fact]
    public async Task A_cookie_from_before_signing_keeps_its_ball_and_comes_back_signed_once()
    {
        var database = await postgres.CreateDatabaseAsync("legacy_cookies");
        string old;
        Pages.Ball oldBall;
        await using (var before = new BallWebApp(database))
        {
            (var cookie, oldBall) = await NewVisitorAsync(before.CreateCookielessClient());
            old = Pages.IdOf(cookie);
        }

        // As if this site had run before signing: it began now, after that visitor came (as the
        // owner: the runtime role only reads ball_cookie_signing).
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), "UPDATE ball_cookie_signing SET began = now(), legacy_visitors = true");
        await using var app = new BallWebApp(database, settings: LimitedLoopback);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var client = app.CreateCookielessClient();
        var (since, _) = await NewVisitorAsync(client);

        // The bare id, as that visitor's browser holds it: same ball, one more view, a signed cookie for the same visitor.
        using (var legacy = await SendAsync(client, old, (HttpMethod.Get, Browser, null)))
        {
            var ball = Pages.ReadBall(await legacy.Content.ReadAsStringAsync());
            Assert.Equal(new Pages.Ball(oldBall.Color, oldBall.Views + 1), ball);
            var signed = Pages.NewVisitorId(legacy) ?? throw new InvalidOperationException("the legacy cookie was not re-issued");
            Assert.Equal(old, Pages.IdOf(signed));
            using var next = await SendAsync(client, signed, (HttpMethod.Get, Browser, null));
            Assert.Equal(oldBall.Views + 2, Pages.ReadBall(await next.Content.ReadAsStringAsync()).Views);
            Assert.Null(Pages.NewVisitorId(next));
        }

        // It was honoured once, and the database keeps a hash of the id for that, not the id.
        Assert.Equal(1, await StoredVisitors.ScalarAsync(database,
            $"SELECT count(*) FROM ball_legacy_cookies_used WHERE id_sha256 = sha256(convert_to('{old}', 'UTF8'))"));
        Assert.Equal(1, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_legacy_cookies_used"));

        // The same bare id again, from anywhere (an old log, a dump, the browser's stale copy): a fresh visitor.
        using (var again = await SendAsync(app.ClientFrom(IPAddress.Parse("127.0.0.3")), old, (HttpMethod.Get, Browser, null)))
        {
            var fresh = Pages.NewVisitorId(again) ?? throw new InvalidOperationException("a second presentation got no cookie");
            Assert.NotEqual(old, Pages.IdOf(fresh));
            Assert.Equal(1, Pages.ReadBall(await again.Content.ReadAsStringAsync()).Views);
            Assert.Equal(oldBall.Views + 2, await StoredViewsAsync(database, old));
        }

        // A visitor made since signing began is known by a signed cookie only.
        using (var bare = await SendAsync(client, Pages.IdOf(since), (HttpMethod.Get, Browser, null)))
        {
            Assert.NotEqual(Pages.IdOf(since), Pages.IdOf(Pages.NewVisitorId(bare)!));
            Assert.Equal(1, await StoredViewsAsync(database, Pages.IdOf(since)));
        }

        // Guessed bare ids: one index probe each, from the address's new-visitor budget, and no grain.
        var prober = app.ClientFrom(Prober);
        using var cost = new VisitorGrainCost();
        var visitorsBefore = await VisitorGrainCost.VisitorActivationsAsync(grains);
        var tableBefore = await VisitorGrainCost.SettledTableUseAsync(database, app);
        var activationsBefore = cost.ActivationsCreated;
        var started = DateTime.UtcNow;
        for (var i = 0; i < 200; i++)
        {
            using var response = await SendAsync(prober, VisitorId.NewId(), (HttpMethod.Head, Browser, null));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        var tableAfter = await VisitorGrainCost.SettledTableUseAsync(database, app);
        Assert.Equal(0, cost.ActivationsCreated - activationsBefore);
        Assert.Equal(visitorsBefore, await VisitorGrainCost.VisitorActivationsAsync(grains));
        Assert.InRange(tableAfter.Reads - tableBefore.Reads, 1, 5 + (int)Math.Ceiling(seconds));
        Assert.Equal(tableBefore.Inserts, tableAfter.Inserts);
    }

    [Fact]
    public async Task A_cookie_from_before_signing_is_a_fresh_visitor_once_the_window_has_passed()
    {
        var database = await postgres.CreateDatabaseAsync("legacy_window");
        string old;
        await using (var before = new BallWebApp(database))
        {
            old = Pages.IdOf((await NewVisitorAsync(before.CreateCookielessClient())).Cookie);
        }

        // Signing began 8 days ago (the default window is 7), after that visitor's first visit (as the owner, as above).
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), "UPDATE ball_cookie_signing SET began = now() - interval '8 days', legacy_visitors = true");
        await StoredVisitors.QueryAsync(database, $"UPDATE ball_grain_state SET first_seen = now() - interval '9 days' WHERE grain_key = '{old}'");
        await using var app = new BallWebApp(database);

        using var late = await SendAsync(app.CreateCookielessClient(), old, (HttpMethod.Get, Browser, null));
        var fresh = Pages.NewVisitorId(late) ?? throw new InvalidOperationException("no cookie for the fresh visitor");
        Assert.NotEqual(old, Pages.IdOf(fresh));
        Assert.Equal(1, Pages.ReadBall(await late.Content.ReadAsStringAsync()).Views);
        Assert.Equal(1, await StoredViewsAsync(database, old));
    }

    [Fact]
    public async Task The_database_signs_a_stored_visitor_as_the_site_does()
    {
        var database = await postgres.CreateDatabaseAsync("sql_cookies");
        await using var app = new BallWebApp(database);
        var (cookie, _) = await NewVisitorAsync(app.CreateCookielessClient());

        // What bench/harness.sh reads to visit seeded visitors: a tool of the owner's (the runtime
        // role signs in .NET and may not execute these functions).
        var made = await StoredVisitors.ScalarTextAsync(postgres.AsOwner(database),
            $"SELECT ball_visitor_cookie(s.key_id, s.inner_pad, s.outer_pad, '{Pages.IdOf(cookie)}') FROM ball_cookie_signer() s");
        Assert.Equal(cookie, made);
    }

    // Well-formed forged cookies: signed with a wrong key, naming a key that does not exist, a
    // real visitor's id with a made-up tag, and bare ids (no visitor predates signing here).
    private static IEnumerable<string> Forgeries(string victim)
    {
        var wrongKey = new CookieKey(1, RandomNumberGenerator.GetBytes(32), DateTimeOffset.UnixEpoch);
        var unknownKey = new CookieKey(7, RandomNumberGenerator.GetBytes(32), DateTimeOffset.UnixEpoch);
        for (var i = 0; ; i++)
        {
            yield return (i % 4) switch
            {
                0 => VisitorCookie.Sign(VisitorId.NewId(), wrongKey),
                1 => VisitorCookie.Sign(VisitorId.NewId(), unknownKey),
                2 => VisitorCookie.Sign(victim, wrongKey),
                _ => VisitorId.NewId(),
            };
        }
    }

    private static async Task<(string Cookie, Pages.Ball Ball)> NewVisitorAsync(HttpClient client)
    {
        using var response = await SendAsync(client, null, (HttpMethod.Get, Browser, null));
        var cookie = Pages.NewVisitorId(response) ?? throw new InvalidOperationException("no cookie on a first visit");
        return (cookie, Pages.ReadBall(await response.Content.ReadAsStringAsync()));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string? cookie, (HttpMethod Method, string UserAgent, string? Purpose) how)
    {
        using var request = new HttpRequestMessage(how.Method, "/");
        request.Headers.TryAddWithoutValidation("User-Agent", how.UserAgent);
        if (cookie is not null)
        {
            request.Headers.TryAddWithoutValidation("Cookie", $"{VisitorCookie.Name}={cookie}");
        }

        if (how.Purpose is not null)
        {
            request.Headers.TryAddWithoutValidation("Sec-Purpose", how.Purpose);
        }

        return await client.SendAsync(request);
    }

    private static Task<long> StoredViewsAsync(string database, string id) => StoredVisitors.ScalarAsync(database,
        $"SELECT coalesce(red_views + blue_views, 0) FROM ball_grain_state WHERE state_name = 'visitor' AND grain_key = '{id}'");
}
