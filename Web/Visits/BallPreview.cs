using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Primitives;

namespace BallOrleans.Web.Visits;

/// <summary>
/// <c>GET /?preview=red</c> or <c>blue</c>: the page of that ball, marked as a preview. It touches
/// no grain and sets no cookie, so it counts nothing and changes nobody's assignment.
/// </summary>
public static class BallPreview
{
    public const string Parameter = "preview";

    /// <summary>The ball asked for, when the parameter names one (given once, as <c>red</c> or <c>blue</c>).</summary>
    public static BallColor? Requested(StringValues requested) =>
        requested.Count == 1 && BallColors.TryParse(requested[0], out var color) ? color : null;

    public static IResult Show(StringValues requested, Exposure exposure)
    {
        if (Requested(requested) is { } color)
        {
            return Results.Content(BallPage.Preview(color, exposure), "text/html; charset=utf-8");
        }

        return Results.ValidationProblem(
            new Dictionary<string, string[]> { [Parameter] = ["Must be given once, as 'red' or 'blue'."] },
            title: "Bad preview parameter");
    }
}
