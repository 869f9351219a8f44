using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Visits;

/// <summary>
/// The ball page: <c>GET /</c> counts a view, <c>HEAD /</c> only shows it, and
/// <c>?preview=red</c> or <c>blue</c> shows that ball, counting nothing (<see cref="BallPreview"/>).
/// </summary>
public static class VisitEndpoints
{
    /// <summary>On a 503, whether the visit is known not to be counted, or may have been.</summary>
    public const string OutcomeHeader = "Visit-Outcome";

    public const string NotCounted = "not-counted";

    public const string Unknown = "unknown";

    public static IEndpointRouteBuilder MapVisitEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], ShowBallAsync)
            .WithName("Ball");
        return app;
    }

    private static async Task<IResult> ShowBallAsync(
        HttpContext context, VisitService visits, VisitCounting counting, ExposureCounting exposures, IOptions<BallPageOptions> options, ILoggerFactory loggers)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (options.Value.Preview && context.Request.Query.TryGetValue(BallPreview.Parameter, out var preview))
        {
            exposures.Preview(preview);
            return BallPreview.Show(preview);
        }

        PageVisit? visit;
        var notCounted = counting.NotCountedReason(context.Request);
        var cookieId = VisitorCookie.Read(context.Request);
        try
        {
            visit = await visits.VisitAsync(
                cookieId, notCounted is null,
                context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent.ToString(), context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            var logger = loggers.CreateLogger(typeof(VisitEndpoints));
            if (ex is VisitNotConfirmedException)
            {
                logger.LogWarning("Visit outcome unknown: {Error}: {Reason}", ex.InnerException?.GetType().Name, ex.InnerException?.Message ?? ex.Message);
                return Unavailable(context, Unknown);
            }

            if (DatabaseFailure.IsCauseOf(ex))
            {
                // The grain could not even read its state, so it wrote nothing. A database outage
                // fails every visit; its stack trace says nothing new.
                logger.LogWarning("Visit not recorded, database unavailable: {Reason}", ex.Message);
                return Unavailable(context, NotCounted);
            }

            // Cluster trouble that outlasted the retry deadline (a call timed out, a connection
            // dropped after the call went out) or a failure we did not expect: the grain may have
            // counted the view without our hearing of it, so the visitor is told we don't know.
            logger.LogWarning(ex, "Visit outcome unknown");
            return Unavailable(context, Unknown);
        }

        if (visit is null)
        {
            // The grain said storage failed: definitely not counted; reload in a moment.
            return Unavailable(context, NotCounted);
        }

        exposures.Shown(notCounted, cookieId, visit);
        if (visit.NewVisitorId is { } id)
        {
            VisitorCookie.Write(context.Response, id, secure: context.Request.IsHttps);
        }

        return Results.Content(BallPage.Render(visit.Color, visit.Views, visit.Counted), "text/html; charset=utf-8");
    }

    private static IResult Unavailable(HttpContext context, string outcome)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers[OutcomeHeader] = outcome;
        BallMetrics.VisitsUnavailable.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        var page = outcome == NotCounted ? BallPage.NotCounted() : BallPage.OutcomeUnknown();
        return Results.Content(page, "text/html; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
