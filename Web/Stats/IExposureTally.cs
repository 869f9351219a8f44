using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The counters of the exposure waterfall's in-memory stages. The ball page counts each request
/// once, when its answer is done (<see cref="Visits.Exposure"/>): the ball it was shown and the
/// bucket it was put in, with that bucket's arm; a memo is counted on its own, with no ball.
/// Lock-free; pushed with the bot counts every few seconds (<see cref="Bots.BotCountsPusher"/>).
/// </summary>
public interface IExposureTally
{
    void Count(BallColor? shown, ExposureReason? reason, BallColor? arm);
}
