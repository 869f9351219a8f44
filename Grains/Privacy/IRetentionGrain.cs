namespace BallOrleans.Grains.Privacy;

/// <summary>The one place (key 0) that erases visitors past <see cref="RetentionOptions.Days"/>, on a timer.</summary>
[Alias("ball.IRetentionGrain")]
public interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Activates the grain, and with it its timer; cheap, so every silo may call it often.</summary>
    [Alias("Start")]
    Task StartAsync();

    /// <summary>Erases every visitor not seen for the configured days now, in batches; returns how many.</summary>
    [Alias("EraseExpired")]
    Task<long> EraseExpiredAsync();
}
