using BallOrleans.Grains.Stats;
using BallOrleans.Web.Bots;

namespace BallOrleans.Web.Stats;

/// <summary>
/// <c>/stats</c> (page and its live fragment), <c>/api/stats</c>, <c>/api/visitors</c> and
/// <c>/api/visitors.csv</c>, mapped on the admin group (<see cref="Admin.AdminAccess"/>). Bad
/// parameters are 400 with the reason; an unreachable report or database is 503, never 500.
/// </summary>
public static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStatsEndpoints(this IEndpointRouteBuilder app)
    {
        // Private figures: no cache may keep them.
        var stats = app.MapGroup("").AddEndpointFilter((context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return next(context);
        });
        stats.MapGet("/stats", (HttpContext c, StatsReports r, VisitorStatsReader v, BotFigures b, ILoggerFactory l) => PageAsync(c, r, v, b, l, fragment: false));
        stats.MapGet("/stats/live", (HttpContext c, StatsReports r, VisitorStatsReader v, BotFigures b, ILoggerFactory l) => PageAsync(c, r, v, b, l, fragment: true));
        stats.MapGet("/api/stats", TotalsAsync);
        stats.MapGet("/api/visitors", VisitorsAsync);
        stats.MapGet("/api/visitors.csv", CsvAsync);
        return app;
    }

    private static async Task<IResult> TotalsAsync(HttpContext context, StatsReports reports, BotFigures bots, ILoggerFactory loggers) =>
        await Guard(context, loggers, async () =>
        {
            var (snapshot, srm) = await reports.TotalsAsync();
            return Results.Json(StatsJson.From(snapshot, srm, await bots.SumAsync()));
        });

    private static async Task<IResult> VisitorsAsync(HttpContext context, StatsReports reports, VisitorStatsReader reader, ILoggerFactory loggers) =>
        await Guard(context, loggers, async () =>
        {
            var (query, errors) = await VisitorQuery.ParseAsync(context.Request.Query, reader, context.RequestAborted);
            if (query is null)
            {
                return Results.ValidationProblem(errors, title: "Bad visitor listing parameters");
            }

            var page = await reports.PageAsync(query, context.RequestAborted);
            return Results.Json(new VisitorPageJson([.. page.Rows.Select(VisitorJson.From)], page.Next));
        });

    // Takes the listing's parameters for validation; only color applies (the export is every row, by first visit).
    private static async Task<IResult> CsvAsync(HttpContext context, VisitorStatsReader reader, ILoggerFactory loggers) =>
        await Guard(context, loggers, async () =>
        {
            var (query, errors) = await VisitorQuery.ParseAsync(context.Request.Query, reader, context.RequestAborted);
            if (query is null)
            {
                return Results.ValidationProblem(errors, title: "Bad export parameters");
            }

            await VisitorCsv.WriteAsync(context.Response, reader, query.Color, context.RequestAborted);
            return Results.Empty;
        });

    private static async Task<IResult> PageAsync(
        HttpContext context, StatsReports reports, VisitorStatsReader reader, BotFigures bots, ILoggerFactory loggers, bool fragment) =>
        await Guard(context, loggers, async () =>
        {
            var (query, errors) = await VisitorQuery.ParseAsync(context.Request.Query, reader, context.RequestAborted);
            if (query is null)
            {
                return Results.ValidationProblem(errors, title: "Bad stats page parameters");
            }

            var (snapshot, srm) = await reports.TotalsAsync();
            var page = await reports.PageAsync(query, context.RequestAborted);
            var excluded = await bots.SumAsync();
            var html = fragment ? StatsPage.RenderLive(snapshot, srm, excluded, query, page) : StatsPage.Render(snapshot, srm, excluded, query, page);
            return Results.Content(html, "text/html; charset=utf-8");
        });

    // Storage or cluster trouble is the server's, not the caller's: 503 with Retry-After, logged.
    private static async Task<IResult> Guard(HttpContext context, ILoggerFactory loggers, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            loggers.CreateLogger(typeof(StatsEndpoints)).LogWarning(ex, "Stats request failed");
            if (context.Response.HasStarted)
            {
                // Half a CSV is already out: cutting the connection is the only honest signal left.
                context.Abort();
                return Results.Empty;
            }

            context.Response.Headers.RetryAfter = "1";
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Stats are unavailable just now", detail: "Try again in a moment.");
        }
    }
}
