using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Web.Visits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Web.Privacy;

/// <summary>
/// <c>POST /forget</c>: the visitor in the cookie is erased (<see cref="VisitorErasures"/>), the
/// cookie expires, and a page says so; the next visit is a new visitor. "Forgotten" only once the
/// erasure's commit is confirmed; otherwise 503 with <see cref="OutcomeHeader"/> saying whether
/// nothing was erased or nobody can tell yet, and the cookie stays so that a retry (which is safe)
/// can finish the job. Only this site's own pages may post it (<see cref="SameOrigin"/>): 403
/// otherwise. Without a cookie: 400, as a page for a browser and as problem details for anything else.
/// </summary>
public static class ForgetEndpoints
{
    public const string Path = "/forget";

    /// <summary>On a 503, whether nothing was erased, or the erasure may have happened.</summary>
    public const string OutcomeHeader = "Erasure-Outcome";

    public const string NotErased = "not-erased";

    public const string Unknown = "unknown";

    public static IEndpointRouteBuilder MapForgetEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ForgetAsync).WithName("Forget");
        return app;
    }

    private static async Task<IResult> ForgetAsync(HttpContext context, VisitorErasures erasures, VisitorCookies cookies, ILoggerFactory loggers)
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
            id = (await cookies.AdmitAsync(context.Request, context.Connection.RemoteIpAddress, context.RequestAborted)).Visitor?.VisitorId;
        }
        catch (Exception ex) when (DatabaseFailure.IsCauseOf(ex) && !context.RequestAborted.IsCancellationRequested)
        {
            // The cookie keys (read once per process) or a pre-signing cookie's row could not be read: nothing was erased.
            loggers.CreateLogger(typeof(ForgetEndpoints)).LogWarning("Forget not done, cookie not checked: {Reason}", LogRedaction.Redact(ex.Message));
            return Answer(context, ErasureOutcome.NotErased);
        }

        if (id is null)
        {
            return WantsPage(context.Request)
                ? Html(ForgetPages.NothingToForget(), StatusCodes.Status400BadRequest)
                : Results.ValidationProblem(
                    new Dictionary<string, string[]> { [VisitorCookie.Name] = ["No visitor cookie (or not one this site made): there is nothing to forget."] },
                    title: "Nothing to forget");
        }

        return Answer(context, await erasures.EraseAsync(id, ErasureReason.Forget, context.RequestAborted));
    }

    /// <summary>
    /// The answer to a forget whose erasure ended in <paramref name="outcome"/>. Nothing left to
    /// erase is forgotten too (a second press, or a retry after a lost answer): the row is gone,
    /// confirmed as an erasure is.
    /// </summary>
    internal static IResult Answer(HttpContext context, ErasureOutcome outcome)
    {
        switch (outcome)
        {
            case ErasureOutcome.Erased:
            case ErasureOutcome.NothingToErase:
                VisitorCookie.Expire(context.Response, secure: context.Request.IsHttps);
                return Html(ForgetPages.Forgotten(), StatusCodes.Status200OK);
            case ErasureOutcome.NotErased:
                return NotNow(context, NotErased, ForgetPages.NotErased(),
                    "Nothing was erased: the database could not take the erasure. Trying again is safe.");
            case ErasureOutcome.Unknown:
                return NotNow(context, Unknown, ForgetPages.NotNow(),
                    "The erasure may or may not have happened, and the database did not confirm it in time; trying again is safe.");
            default:
                throw new UnreachableException($"an erasure outcome this page does not know: {outcome}");
        }
    }

    private static IResult NotNow(HttpContext context, string outcome, string page, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers[OutcomeHeader] = outcome;
        return WantsPage(context.Request)
            ? Html(page, StatusCodes.Status503ServiceUnavailable)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: outcome == Unknown ? "Not confirmed" : "Not erased", detail: detail);
    }

    // A form post from a browser accepts HTML; an API client asking for JSON gets problem details.
    private static bool WantsPage(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));

    private static IResult Html(string html, int status) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);
}
