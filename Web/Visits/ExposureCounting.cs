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

    /// <summary>A page shown without counting, for <paramref name="reason"/>, with the <paramref name="arm"/> it showed.</summary>
    public void Shown(ExposureReason reason, BallColor arm) => tally.Count(reason, arm);

    /// <summary>A visit counted as a new visitor's: a memo when it carried a cookie, which named nobody stored.</summary>
    public void CountedAsNewcomer(string? cookieId, BallColor arm)
    {
        if (cookieId is not null)
        {
            tally.Count(ExposureReason.UnknownId, arm);
        }
    }
}
