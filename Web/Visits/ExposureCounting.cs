using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;
using Microsoft.Extensions.Primitives;

namespace BallOrleans.Web.Visits;

/// <summary>
/// Tells the exposure waterfall (<see cref="IExposureTally"/>) about a ball page that was shown
/// without counting its visitor's view, and about a counted one whose cookie was not honoured.
/// </summary>
public sealed class ExposureCounting(IExposureTally tally)
{
    /// <summary>A preview shown: the ball asked for (a bad parameter is a 400 and shows none).</summary>
    public void Preview(StringValues requested)
    {
        if (requested.Count == 1 && BallColors.TryParse(requested[0], out var color))
        {
            tally.Count(ExposureReason.Preview, color);
        }
    }

    /// <summary>
    /// A page shown: <paramref name="notCounted"/> is why it was not meant to count (null: it was);
    /// one meant to count that was not is over the new-visitor limit; one counted as a new visitor
    /// though it carried a cookie named a visitor that is not stored.
    /// </summary>
    public void Shown(ExposureReason? notCounted, string? cookieId, PageVisit visit)
    {
        if (notCounted is { } reason)
        {
            tally.Count(reason, visit.Color);
        }
        else if (!visit.Counted)
        {
            tally.Count(ExposureReason.NewVisitorLimit, visit.Color);
        }
        else if (cookieId is not null && visit.NewVisitorId is not null)
        {
            tally.Count(ExposureReason.UnknownId, visit.Color);
        }
    }
}
