namespace BallOrleans.Web.Bots;

/// <summary>
/// Compiles the bot list in the background as the process starts (a few hundred milliseconds,
/// mostly JIT), alongside the silo's own start, so that neither start-up nor the first visit
/// waits for it. A visit that comes sooner waits for the one compilation in progress.
/// </summary>
public sealed class BotListWarmup(IServiceProvider services) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => services.GetRequiredService<BotDetector>(), stoppingToken);
}
