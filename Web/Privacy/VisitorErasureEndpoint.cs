using System.Buffers;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Privacy;

/// <summary>
/// <c>DELETE /api/visitors/{id}</c> (admin): erases the visitor listed under that pseudonymous id,
/// through their grain, exactly as their own "forget me" would. 204 when done, 404 when no visitor
/// has that id (already erased, say), 400 when it is not an id of the listing.
/// </summary>
public static class VisitorErasureEndpoint
{
    public static async Task<IResult> DeleteAsync(string id, VisitorPseudonyms pseudonyms, IGrainFactory grains, CancellationToken cancellationToken)
    {
        if (!TryParse(id, out var pid))
        {
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { ["id"] = [$"id must be a visitor id of the listing: {VisitorPseudonyms.Length * 2} hex digits"] },
                title: "Bad visitor id");
        }

        var visitor = await pseudonyms.FindVisitorAsync(pid, cancellationToken);
        if (visitor is null || !await grains.GetGrain<IVisitorGrain>(visitor).ForgetAsync(ErasureReason.Admin))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such visitor",
                detail: "No stored visitor has this id; they may have been erased already.");
        }

        return Results.NoContent();
    }

    private static bool TryParse(string id, out byte[] pid)
    {
        pid = new byte[VisitorPseudonyms.Length];
        return id.Length == VisitorPseudonyms.Length * 2
            && Convert.FromHexString(id, pid, out _, out var written) == OperationStatus.Done
            && written == pid.Length;
    }
}
