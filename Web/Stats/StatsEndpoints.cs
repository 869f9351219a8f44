using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Web.Bots;
using BallOrleans.Web.Privacy;

namespace BallOrleans.Web.Stats;

/// <summary>
/// <c>/stats</c> (page and its live fragment), <c>/api/stats</c>, <c>/api/visitors</c>,
/// <c>/api/visitors.csv</c> and <c>DELETE /api/visitors/{id}</c>, mapped on the admin group
/// (<see cref="Admin.AdminAccess"/>). Bad parameters are 400 with the reason; an unreachable
/// report or database is 503, never 500.
/// </summary>
public static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStatsEndpoints(this IEndpointRouteBuilder app)
    {
        // Mapped on the admin group, whose answers carry no-store (Hosting/NoStore.cs).
        app.MapGet("/stats", (HttpContext c, StatsReports r, VisitorStatsReader v, BotFigures b, TimeProvider t, ILoggerFactory l) => PageAsync(c, r, v, b, t, l, fragment: false));
        app.MapGet("/stats/live", (HttpContext c, StatsReports r, VisitorStatsReader v, BotFigures b, TimeProvider t, ILoggerFactory l) => PageAsync(c, r, v, b, t, l, fragment: true));
        app.MapGet("/api/stats", TotalsAsync);
        app.MapGet("/api/visitors", VisitorsAsync);
        app.MapGet("/api/visitors.csv", CsvAsync);
        app.MapDelete("/api/visitors/{id}", (HttpContext c, string id, VisitorPseudonyms p, VisitorErasures e, ILoggerFactory l) =>
            Guard(c, l, () => VisitorErasureEndpoint.DeleteAsync(c, id, p, e, c.RequestAborted)));
        return app;
    }

    private static async Task<IResult> TotalsAsync(HttpContext context, StatsReports reports, BotFigures bots, TimeProvider clock, ILoggerFactory loggers) =>
        await Guard(context, loggers, async () =>
        {
            var (range, errors) = StatsRange.Parse(context.Request.Query, Today(clock));
            if (range is null)
            {
                return Results.ValidationProblem(errors, title: "Bad stats range");
            }

            var (snapshot, srm) = await reports.TotalsAsync();
            var report = await reports.RangeAsync(range);
            var inMemory = await bots.SumAsync();
            return Results.Json(StatsJson.From(
                snapshot, srm, await reports.LatchedFamilyAsync(snapshot, context.RequestAborted), inMemory, report, reports.Waterfall(snapshot, report, inMemory, Today(clock))));
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
        HttpContext context, StatsReports reports, VisitorStatsReader reader, BotFigures bots, TimeProvider clock, ILoggerFactory loggers, bool fragment) =>
        await Guard(context, loggers, async () =>
        {
            var today = Today(clock);
            var (query, errors) = await VisitorQuery.ParseAsync(context.Request.Query, reader, context.RequestAborted);
            var (range, rangeErrors) = StatsRange.Parse(context.Request.Query, today);
            foreach (var (name, reasons) in rangeErrors)
            {
                errors[name] = reasons;
            }

            if (query is null || range is null)
            {
                return Results.ValidationProblem(errors, title: "Bad stats page parameters");
            }

            var (snapshot, srm) = await reports.TotalsAsync();
            var report = await reports.RangeAsync(range);
            var page = await reports.PageAsync(query, context.RequestAborted);
            var excluded = await bots.SumAsync();
            var view = new StatsView(snapshot, srm, excluded, query, page, range, report, today)
            {
                Family = await reports.LatchedFamilyAsync(snapshot, context.RequestAborted),
                Waterfall = reports.Waterfall(snapshot, report, excluded, today),
            };
            return Results.Content(fragment ? StatsPage.RenderLive(view) : StatsPage.Render(view), "text/html; charset=utf-8");
        });

    private static DateOnly Today(TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    // Storage or cluster trouble is the server's, not the caller's: 503 with Retry-After, logged.
    private static async Task<IResult> Guard(HttpContext context, ILoggerFactory loggers, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            loggers.CreateLogger(typeof(StatsEndpoints)).LogWarning("Stats request failed: {Exception}", LogRedaction.Describe(ex));
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
