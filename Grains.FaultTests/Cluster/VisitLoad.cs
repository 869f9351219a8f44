using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using BallOrleans.Web.Visits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// A steady, bounded load of returning visitors (one worker per visitor, as a browser reloading;
/// now and then two tabs at once) plus newcomers. Every visit goes into <see cref="History"/>, so
/// a test can hold what visitors were told against what was stored.
/// </summary>
public sealed partial class VisitLoad : IAsyncDisposable
{
    /// <summary>Whatever a test forgets, no load runs longer or sends more than this.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(3);

    public const int MaxVisits = 100_000;

    private readonly HttpClient _http;

    // Each visitor's signed cookie, by the id the history and the checker know them by.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _cookies = new();
    private readonly CancellationTokenSource _stop = new(MaxDuration);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Task _workers = Task.CompletedTask;
    private int _sent;

    private VisitLoad(Uri site) =>
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = site,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public TimeSpan Now => _clock.Elapsed;

    public VisitHistory History { get; } = new();

    /// <summary>
    /// Mints <paramref name="visitors"/> visitors, then keeps them visiting until stopped; every
    /// <paramref name="newcomerEvery"/>th visit of a worker is a newcomer's instead (who reloads once), and every
    /// <paramref name="secondTabEvery"/>th is two visits at once with the same cookie.
    /// </summary>
    public static async Task<VisitLoad> StartAsync(
        Uri site, int visitors, int newcomerEvery = 0, TimeSpan? pause = null, int secondTabEvery = 0)
    {
        var load = new VisitLoad(site);
        var ids = new List<string>();
        for (var i = 0; i < visitors; i++)
        {
            var first = await load.VisitAsync(null);
            ids.Add(first.Visitor ?? throw new InvalidOperationException($"a first visit was not counted before any fault: {first}"));
        }

        var wait = pause ?? TimeSpan.FromMilliseconds(5);
        load._workers = Task.WhenAll(ids.Select(id => Task.Run(() => load.VisitUntilStoppedAsync(id, newcomerEvery, secondTabEvery, wait))));
        return load;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _workers;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task VisitUntilStoppedAsync(string id, int newcomerEvery, int secondTabEvery, TimeSpan pause)
    {
        for (var n = 1; !_stop.IsCancellationRequested && Interlocked.Increment(ref _sent) <= MaxVisits; n++)
        {
            if (newcomerEvery > 0 && n % newcomerEvery == 0)
            {
                // A newcomer reloads once: their first visit is stored without their grain, the
                // second activates it, so new activations keep being placed as the load runs.
                if (await VisitAsync(null) is { Visitor: { } newcomer, Outcome: VisitorSaw.Counted })
                {
                    await VisitAsync(newcomer);
                }
            }
            else if (secondTabEvery > 0 && n % secondTabEvery == 0)
            {
                await Task.WhenAll(VisitAsync(id), VisitAsync(id));
            }
            else
            {
                await VisitAsync(id);
            }

            try
            {
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // A visit is never cancelled by the load's end: its answer is part of the history.
    private async Task<Visit> VisitAsync(string? id)
    {
        var start = _clock.Elapsed;
        var status = 0;
        var outcome = VisitorSaw.NoAnswer;
        var visitor = id;
        long count = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            if (id is not null)
            {
                request.Headers.Add("Cookie", $"ball_visitor={_cookies[id]}");
            }

            using var response = await _http.SendAsync(request);
            status = (int)response.StatusCode;
            (outcome, count) = response.StatusCode switch
            {
                HttpStatusCode.OK => ViewsShown(await response.Content.ReadAsStringAsync()) is var views and > 0
                    ? (VisitorSaw.Counted, views)
                    : (VisitorSaw.NotCounted, 0),
                HttpStatusCode.ServiceUnavailable => (OutcomeSaid(response), 0),
                _ => (VisitorSaw.Failed, 0),
            };
            // A newcomer learns their id from the cookie; a returning visitor keeps theirs even if
            // the site minted a new one (the checker then sees their count fall).
            if (VisitorCookie(response) is { } cookie)
            {
                var named = Web.Pages.IdOf(cookie);
                _cookies[named] = cookie;
                visitor ??= named;
            }
        }
        catch (HttpRequestException)
        {
            // No answer at all.
        }
        catch (TaskCanceledException)
        {
            // The client's own timeout: also no answer.
        }

        var visit = new Visit(visitor, id is null, start, _clock.Elapsed, status, outcome, count);
        History.Add(visit);
        return visit;
    }

    private static VisitorSaw OutcomeSaid(HttpResponseMessage response) =>
        response.Headers.TryGetValues(VisitEndpoints.OutcomeHeader, out var values) ? values.FirstOrDefault() switch
        {
            VisitEndpoints.NotCounted => VisitorSaw.NotCounted,
            VisitEndpoints.Unknown => VisitorSaw.Unknown,
            _ => VisitorSaw.Failed,
        }
        : VisitorSaw.Failed;

    private static string? VisitorCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => CookiePattern().Match(c)).FirstOrDefault(m => m.Success)?.Groups[1].Value
            : null;

    private static long ViewsShown(string html) => long.Parse(ViewsPattern().Match(html).Groups[1].Value);

    [GeneratedRegex("^ball_visitor=([^;]+)")]
    private static partial Regex CookiePattern();

    [GeneratedRegex("data-views=\"(\\d+)\"")]
    private static partial Regex ViewsPattern();
}
