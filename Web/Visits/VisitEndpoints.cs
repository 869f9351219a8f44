using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using BallOrleans.Web.Limits;
using BallOrleans.Web.Cookies;

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
        HttpContext context, VisitService visits, VisitCounting counting, CookieVisitLimit cookieLimit, ExposureCounting exposures, VisitorCookies cookies,
        IOptions<BallPageOptions> options, ILoggerFactory loggers)
    {
        // Counted once the answer is settled, whichever way it went (an exception included), so
        // that a ball shown and put in no bucket, or a bucket with no ball, shows as a residual.
        var exposure = exposures.Begin();
        try
        {
            return await AnswerAsync(context, visits, counting, cookieLimit, exposure, cookies, options, loggers);
        }
        finally
        {
            exposure.Done();
        }
    }

    private static async Task<IResult> AnswerAsync(
        HttpContext context, VisitService visits, VisitCounting counting, CookieVisitLimit cookieLimit, Exposure exposure, VisitorCookies cookies,
        IOptions<BallPageOptions> options, ILoggerFactory loggers)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (options.Value.Preview && context.Request.Query.TryGetValue(BallPreview.Parameter, out var preview))
        {
            if (BallPreview.Requested(preview) is { } previewed)
            {
                exposure.Put(ExposureReason.Preview, previewed);
            }

            return BallPreview.Show(preview, exposure);
        }

        CookieReading reading;
        try
        {
            reading = await cookies.AdmitAsync(context.Request, context.Connection.RemoteIpAddress, context.RequestAborted);
        }
        catch (Exception ex) when (DatabaseFailure.IsCauseOf(ex) && !context.RequestAborted.IsCancellationRequested)
        {
            // No grain was called: the cookie keys, or a pre-signing cookie's row, could not be read.
            loggers.CreateLogger(typeof(VisitEndpoints)).LogWarning("Visit not recorded, cookie not checked: {Reason}", LogRedaction.Redact(ex.Message));
            return Unavailable(context, NotCounted);
        }

        var cookie = reading.Visitor;
        var cookieId = cookie?.VisitorId;
        // A visitor over their cookie's visit rate is charged only for what would count.
        if ((counting.NotCountedReason(context.Request)
            ?? (cookieId is not null && !cookieLimit.TryVisit(cookieId) ? ExposureReason.CookieVisitLimit : null)) is { } notCounted)
        {
            // Not a visit (HEAD, a prefetch, a crawler), or one more than the cookie's rate: show
            // what the visitor has, store nothing.
            if (await visits.PeekAsync(cookieId, context.RequestAborted) is not { } shown)
            {
                await ReissueAsync(context, cookies, cookie);
                return Unavailable(context, NotCounted);
            }

            exposure.Put(notCounted, shown.Color);
            await ReissueAsync(context, cookies, cookie);
            return Page(shown, counted: false, exposure);
        }

        var result = await visits.VisitAsync(
            new VisitRequest(cookieId, context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent.ToString()), context.RequestAborted);
        switch (result)
        {
            case VisitResult.Answered { Outcome: VisitOutcome.Counted counted, MintedId: var minted }:
                exposure.Put(ExposureReason.Counted, counted.View.Color);
                if (minted is not null)
                {
                    await cookies.WriteAsync(context.Response, minted, secure: context.Request.IsHttps);
                    // A memo when a cookie came and was not honoured: forged (it did not verify) apart
                    // from unknown (it verified, or was a bare id, and named nobody stored).
                    if (reading.Forged)
                    {
                        exposure.Memo(ExposureReason.ForgedId, counted.View.Color);
                    }
                    else if ((cookieId ?? VisitorCookie.PresentedId(context.Request)) is not null)
                    {
                        exposure.Memo(ExposureReason.UnknownId, counted.View.Color);
                    }
                }
                else
                {
                    await ReissueAsync(context, cookies, cookie);
                }

                return Page(counted.View, counted: true, exposure);
            case VisitResult.Refused refused:
                // No visitor could be minted (a new-visitor limit refused): a newcomer's ball, uncounted.
                var newcomer = visits.Newcomer();
                exposure.Put(refused.Limit, newcomer.Color);
                return Page(newcomer, counted: false, exposure);
            case VisitResult.Answered { Outcome: VisitOutcome.NotCounted }:
                // Storage refused: definitely not counted; reload in a moment.
                await ReissueAsync(context, cookies, cookie);
                return Unavailable(context, NotCounted);
            case VisitResult.Answered { Outcome: VisitOutcome.Unknown }:
                await ReissueAsync(context, cookies, cookie);
                return Unavailable(context, Unknown);
            default:
                // UnknownVisitor never reaches here: VisitService mints a visitor or refuses instead.
                throw new UnreachableException($"a visit result this page does not know: {result}");
        }
    }

    // A bare cookie from before signing, or one signed by a key that no longer signs, is replaced by
    // a freshly signed one, on a 503 too: a bare id is honoured once only, and the visitor keeps
    // their ball only if the signed cookie reaches them, whatever became of this visit.
    private static async Task ReissueAsync(HttpContext context, VisitorCookies cookies, CookieVisitor? cookie)
    {
        if (cookie is { Reissue: true })
        {
            await cookies.WriteAsync(context.Response, cookie.VisitorId, secure: context.Request.IsHttps);
        }
    }

    private static ContentHttpResult Page(VisitorView view, bool counted, Exposure exposure) =>
        TypedResults.Content(BallPage.Render(view.Color, view.Views, counted, exposure), "text/html; charset=utf-8");

    private static ContentHttpResult Unavailable(HttpContext context, string outcome)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers[OutcomeHeader] = outcome;
        BallMetrics.VisitsUnavailable.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        var page = outcome == NotCounted ? BallPage.NotCounted() : BallPage.OutcomeUnknown();
        return TypedResults.Content(page, "text/html; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
