using System.Diagnostics;
using System.Net;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;
using BallOrleans.Web.Visits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// When the web tier gives up on a grain call, the visit may have been counted all the same: the
/// page must say the outcome is unknown, never "not counted". (The known "not counted", storage
/// refusing the write, is pinned by <see cref="DatabaseOutageTests"/>.)
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class HonestOutcomeTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_visit_to_a_frozen_silo_is_answered_as_unknown_and_the_next_visit_shows_the_truth()
    {
        var database = await postgres.CreateDatabaseAsync("unknown");
        // No retries: the visit ends when its first attempt times out (Visits:AttemptTimeout, 1 s).
        var quick = new Dictionary<string, string?> { ["Visits__RetryDeadline"] = "00:00:00" };
        await using var cluster = await LocalCluster.StartAsync(database, silos: 1, quick);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = cluster.Site };
        using var first = await client.GetAsync("/");
        var id = Pages.NewVisitorId(first)!;

        await cluster.CommandAsync("freeze", "1");
        using var unknown = await VisitAsync(client, id);
        var page = await unknown.Content.ReadAsStringAsync();
        await cluster.CommandAsync("thaw", "1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal(VisitEndpoints.Unknown, unknown.Headers.GetValues(VisitEndpoints.OutcomeHeader).Single());
        Assert.Contains("could not confirm whether this visit was counted", page);
        Assert.DoesNotContain("not counted", page);

        // The frozen silo may run the queued attempt when it wakes, or not: either way the page
        // said it did not know. What follows is the truth: the next answered visit shows at least
        // the first view, itself and whatever of the unanswered ones was counted before it, and
        // the store holds no more than every visit that may have counted (attempts the waking
        // silo had queued may still land after that answer).
        var (next, unanswered) = await VisitUntilAnsweredAsync(client, id);
        var stored = (await ClusterProbe.StoredViewsAsync(database))[Pages.IdOf(id)];
        Assert.InRange(next, 2, 2 + 1 + unanswered);
        Assert.InRange(stored, next, 2 + 1 + unanswered);
    }

    private static Task<HttpResponseMessage> VisitAsync(HttpClient client, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"{VisitorCookie.Name}={id}");
        return client.SendAsync(request);
    }

    /// <summary>The views the first answered visit shows, and how many visits before it got a 503.</summary>
    private static async Task<(long Views, int Unanswered)> VisitUntilAnsweredAsync(HttpClient client, string id)
    {
        var waited = Stopwatch.StartNew();
        for (var unanswered = 0; ; unanswered++)
        {
            using var response = await VisitAsync(client, id);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return (Pages.ReadBall(await response.Content.ReadAsStringAsync()).Views, unanswered);
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(15), $"the thawed silo still answered {response.StatusCode} after 15 s");
            await Task.Delay(200);
        }
    }
}
