namespace BallOrleans.Grains.Stats;

/// <summary>The per-silo pre-aggregator that drains the silo's <see cref="VisitQueue"/> into the report.</summary>
[Alias("ball.IVisitAggregatorGrain")]
public interface IVisitAggregatorGrain : IGrainWithIntegerKey
{
    /// <summary>Activates the aggregator on the calling silo; its timer does the rest.</summary>
    [Alias("Start")]
    Task StartAsync();
}
