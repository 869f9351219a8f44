using System.Buffers;
using System.Diagnostics;
using BallOrleans.Grains.Privacy;

namespace BallOrleans.Web.Privacy;

/// <summary>
/// <c>DELETE /api/visitors/{id}</c> (admin): erases the visitor listed under that pseudonymous id,
/// through their grain, exactly as their own "forget me" would (<see cref="VisitorErasures"/>). 204
/// when done, 404 when no visitor has that id (already erased, say), 400 when it is not an id of
/// the listing; 503 with <see cref="ForgetEndpoints.OutcomeHeader"/> when nothing was erased, or
/// when the erasure's outcome stayed unknown until the deadline (deleting again is safe).
/// </summary>
public static class VisitorErasureEndpoint
{
    public static async Task<IResult> DeleteAsync(
        HttpContext context, string id, VisitorPseudonyms pseudonyms, VisitorErasures erasures, CancellationToken cancellationToken)
    {
        if (!TryParse(id, out var pid))
        {
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { ["id"] = [$"id must be a visitor id of the listing: {VisitorPseudonyms.Length * 2} hex digits"] },
                title: "Bad visitor id");
        }

        var visitor = await pseudonyms.FindVisitorAsync(pid, cancellationToken);
        var outcome = visitor is null ? ErasureOutcome.NothingToErase : await erasures.EraseAsync(visitor, ErasureReason.Admin, cancellationToken);
        switch (outcome)
        {
            case ErasureOutcome.Erased:
                return Results.NoContent();
            case ErasureOutcome.NothingToErase:
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such visitor",
                    detail: "No stored visitor has this id; they may have been erased already.");
            case ErasureOutcome.NotErased:
                return Unavailable(context, ForgetEndpoints.NotErased, "Not erased", "The database could not take the erasure; nothing was erased. Deleting again is safe.");
            case ErasureOutcome.Unknown:
                return Unavailable(context, ForgetEndpoints.Unknown, "Not confirmed",
                    "The erasure may or may not have happened, and the database did not confirm it in time. Deleting again is safe.");
            default:
                throw new UnreachableException($"an erasure outcome this endpoint does not know: {outcome}");
        }
    }

    private static IResult Unavailable(HttpContext context, string outcome, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        context.Response.Headers[ForgetEndpoints.OutcomeHeader] = outcome;
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    private static bool TryParse(string id, out byte[] pid)
    {
        pid = new byte[VisitorPseudonyms.Length];
        return id.Length == VisitorPseudonyms.Length * 2
            && Convert.FromHexString(id, pid, out _, out var written) == OperationStatus.Done
            && written == pid.Length;
    }
}
