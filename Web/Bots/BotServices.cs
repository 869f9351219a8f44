using BallOrleans.Web.Stats;

namespace BallOrleans.Web.Bots;

/// <summary>Bot detection from the embedded list, this process's tally, and its push to the cluster-wide sum.</summary>
public static class BotServices
{
    public static IServiceCollection AddBallBots(this IServiceCollection services)
    {
        services.AddSingleton(_ => BotPatterns.Embedded());
        services.AddSingleton<BotDetector>();
        services.AddSingleton<BotTally>();
        services.AddSingleton<IBotTally>(sp => sp.GetRequiredService<BotTally>());
        services.AddSingleton<IExposureTally>(sp => sp.GetRequiredService<BotTally>());
        services.AddSingleton<BotFigures>();
        services.AddHostedService<BotCountsPusher>();
        services.AddHostedService<BotListWarmup>();
        return services;
    }
}
