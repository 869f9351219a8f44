using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Visits;

/// <summary>
/// The ball page: <c>GET /</c> counts a view, <c>HEAD /</c> only shows it, and
/// <c>?preview=red</c> or <c>blue</c> shows that ball, counting nothing (<see cref="BallPreview"/>).
/// </summary>
public static class VisitEndpoints
{
    public static IEndpointRouteBuilder MapVisitEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], ShowBallAsync)
            .WithName("Ball");
        return app;
    }

    private static async Task<IResult> ShowBallAsync(
        HttpContext context, VisitService visits, VisitCounting counting, IOptions<BallPageOptions> options, ILoggerFactory loggers)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (options.Value.Preview && context.Request.Query.TryGetValue(BallPreview.Parameter, out var preview))
        {
            return BallPreview.Show(preview);
        }

        PageVisit? visit;
        try
        {
            visit = await visits.VisitAsync(
                VisitorCookie.Read(context.Request), counting.Counts(context.Request),
                context.Connection.RemoteIpAddress, context.RequestAborted);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Cluster trouble that outlasted the retry deadline, a grain that could not read its
            // state, or a failure we did not expect: the view was not counted, and the visitor is
            // told so. A database outage fails every visit; its stack trace says nothing new.
            var logger = loggers.CreateLogger(typeof(VisitEndpoints));
            if (DatabaseFailure.IsCauseOf(ex))
            {
                logger.LogWarning("Visit not recorded, database unavailable: {Reason}", ex.Message);
            }
            else
            {
                logger.LogWarning(ex, "Visit not recorded");
            }

            visit = null;
        }

        if (visit is null)
        {
            // Storage is down (the grain said so, quickly): not counted; reload in a moment.
            context.Response.Headers.RetryAfter = "1";
            return Results.Content(BallPage.Unavailable(), "text/html; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (visit.NewVisitorId is { } id)
        {
            VisitorCookie.Write(context.Response, id, secure: context.Request.IsHttps);
        }

        return Results.Content(BallPage.Render(visit.Color, visit.Views, visit.Counted), "text/html; charset=utf-8");
    }
}
