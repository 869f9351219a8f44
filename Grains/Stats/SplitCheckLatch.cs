namespace BallOrleans.Grains.Stats;

/// <summary>
/// The first time one check of the split alert's family was seen flagged: when, on which counts,
/// at which statistic and alpha (<c>ball_split_check_latched</c>, migration 011). From then on the
/// check stays flagged.
/// </summary>
/// <param name="Population">What was counted: <c>assigned</c>.</param>
/// <param name="Browser"><c>all</c>, or the browser family of the first visit.</param>
public sealed record SplitCheckLatch(
    string Population, string Browser, DateTimeOffset FlaggedAt, long RedVisitors, long BlueVisitors, double LogBayesFactor, double Alpha);
