using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// A steady load of returning visitors (one worker per visitor, one request at a time, as a
/// browser reloading), plus an occasional newcomer. Records every answer, so a test can compare
/// what visitors were told with what was stored.
/// </summary>
public sealed partial class VisitLoad : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, long> _shown = new();
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly ConcurrentQueue<string> _newcomers = new();
    private Task _workers = Task.CompletedTask;
    private int _miscounts;

    private VisitLoad(Uri site) =>
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = site,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>One answer: when it came (since the load began), how long it took, and its status (0: no answer).</summary>
    public readonly record struct Answer(TimeSpan At, TimeSpan Took, int Status);

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>The views each returning visitor was last shown (their first visit included).</summary>
    public IReadOnlyDictionary<string, long> Shown => _shown;

    public IReadOnlyCollection<string> Newcomers => _newcomers;

    public IReadOnlyCollection<Answer> Answers => _answers;

    /// <summary>Answers that contradict the count: a view that is not exactly one more than the last.</summary>
    public int Miscounts => _miscounts;

    /// <summary>Mints <paramref name="visitors"/> visitors, then keeps them visiting until stopped.</summary>
    public static async Task<VisitLoad> StartAsync(Uri site, int visitors, int newcomerEvery = 0, TimeSpan? pause = null)
    {
        var load = new VisitLoad(site);
        var ids = new List<string>();
        for (var i = 0; i < visitors; i++)
        {
            using var response = await load._http.GetAsync("/");
            response.EnsureSuccessStatusCode();
            var id = VisitorCookie(response) ?? throw new InvalidOperationException("no visitor cookie on a first visit");
            load._shown[id] = 1;
            ids.Add(id);
        }

        load._workers = Task.WhenAll(ids.Select(id => Task.Run(() => load.VisitUntilStoppedAsync(id, newcomerEvery, pause ?? TimeSpan.FromMilliseconds(5)))));
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

    private async Task VisitUntilStoppedAsync(string id, int newcomerEvery, TimeSpan pause)
    {
        for (var n = 1; !_stop.IsCancellationRequested; n++)
        {
            var newcomer = newcomerEvery > 0 && n % newcomerEvery == 0;
            var started = _clock.Elapsed;
            var status = 0;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/");
                if (!newcomer)
                {
                    request.Headers.Add("Cookie", $"ball_visitor={id}");
                }

                using var response = await _http.SendAsync(request);
                status = (int)response.StatusCode;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var views = ViewsShown(await response.Content.ReadAsStringAsync());
                    if (newcomer)
                    {
                        _newcomers.Enqueue(VisitorCookie(response) ?? "");
                    }
                    else
                    {
                        if (views != _shown[id] + 1)
                        {
                            Interlocked.Increment(ref _miscounts);
                        }

                        _shown[id] = views;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Status 0: no answer at all, the worst a visitor can get.
            }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
            {
                // The client's own timeout: also no answer.
            }

            _answers.Enqueue(new Answer(started, _clock.Elapsed - started, status));
            await Task.Delay(pause);
        }
    }

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
