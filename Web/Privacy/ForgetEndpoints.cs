using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Visits;

namespace BallOrleans.Web.Privacy;

/// <summary>
/// <c>POST /forget</c>: the visitor in the cookie is erased (<see cref="IVisitorGrain.ForgetAsync"/>),
/// the cookie expires, and a page says so; the next visit is a new visitor. Only this site's own
/// pages may post it (<see cref="SameOrigin"/>): 403 otherwise. Without a cookie: 400, as a page
/// for a browser and as problem details for anything else.
/// </summary>
public static class ForgetEndpoints
{
    public const string Path = "/forget";

    public static IEndpointRouteBuilder MapForgetEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ForgetAsync).WithName("Forget");
        return app;
    }

    private static async Task<IResult> ForgetAsync(HttpContext context, IGrainFactory grains, VisitorCookies cookies, ILoggerFactory loggers)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!SameOrigin.IsSameOrigin(context.Request))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused",
                detail: "POST /forget is accepted from this site's own pages only (Sec-Fetch-Site: same-origin, and an Origin of this host).");
        }

        string? id;
        try
        {
            id = (await cookies.ReadAsync(context.Request, context.Connection.RemoteIpAddress, context.RequestAborted)).Visitor?.VisitorId;
        }
        catch (Exception ex) when (DatabaseFailure.IsCauseOf(ex) && !context.RequestAborted.IsCancellationRequested)
        {
            // The cookie keys (read once per process) or a pre-signing cookie's row could not be read.
            return NotNow(context, ex, loggers);
        }

        if (id is null)
        {
            return WantsPage(context.Request)
                ? Html(ForgetPages.NothingToForget(), StatusCodes.Status400BadRequest)
                : Results.ValidationProblem(
                    new Dictionary<string, string[]> { [VisitorCookie.Name] = ["No visitor cookie (or not one this site made): there is nothing to forget."] },
                    title: "Nothing to forget");
        }

        try
        {
            await grains.GetGrain<IVisitorGrain>(id).ForgetAsync(ErasureReason.Forget);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Not known whether the delete committed: the cookie stays, so that a retry (which is
            // safe) can finish the job.
            return NotNow(context, ex, loggers);
        }

        VisitorCookie.Expire(context.Response, secure: context.Request.IsHttps);
        return Html(ForgetPages.Forgotten(), StatusCodes.Status200OK);
    }

    private static IResult NotNow(HttpContext context, Exception ex, ILoggerFactory loggers)
    {
        loggers.CreateLogger(typeof(ForgetEndpoints)).LogWarning("Forget not confirmed: {Reason}", LogRedaction.Redact(ex.Message));
        context.Response.Headers.RetryAfter = "1";
        return WantsPage(context.Request)
            ? Html(ForgetPages.NotNow(), StatusCodes.Status503ServiceUnavailable)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not confirmed",
                detail: "The erasure may or may not have happened; trying again is safe.");
    }

    // A form post from a browser accepts HTML; an API client asking for JSON gets problem details.
    private static bool WantsPage(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));

    private static IResult Html(string html, int status) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);
}
