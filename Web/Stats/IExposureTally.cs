using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The counting hook of the exposure waterfall's in-memory stages: call it once for each request
/// that was shown the ball (<paramref name="arm"/>, or null when none) and not counted as its
/// visitor's view, with the reason. Lock-free; pushed with the bot counts every few seconds
/// (<see cref="Bots.BotCountsPusher"/>).
/// </summary>
public interface IExposureTally
{
    void Count(ExposureReason reason, BallColor? arm);
}
