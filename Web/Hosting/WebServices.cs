using System.Text;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;
using BallOrleans.Web.Stats;
using BallOrleans.Web.Operations;
using BallOrleans.Web.Visits;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Web.Hosting;

/// <summary>Services of the web tier itself.</summary>
public static class WebServices
{
    public static IServiceCollection AddBallWeb(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ColorWeightsOptions>().Bind(configuration.GetSection(ColorWeightsOptions.Section));
        services.AddOptions<VisitOptions>().Bind(configuration.GetSection(VisitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<NewVisitorLimitOptions>().Bind(configuration.GetSection(NewVisitorLimitOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ColorAssignment>();
        services.AddSingleton<NewVisitorLimit>();
        services.AddSingleton<VisitService>();
        services.AddOptions<BallPageOptions>().Bind(configuration.GetSection(BallPageOptions.Section));
        services.AddSingleton<VisitCounting>();
        services.AddBallBots();
        services.AddStatsOptions(configuration);
        services.TryAddSingleton<VisitorStatsReader>();
        services.TryAddSingleton<RangeStatsReader>();
        services.AddSingleton<RangeStatsCache>();
        services.TryAddSingleton<VisitorPseudonyms>();
        services.AddSingleton<StatsCache>();
        services.AddSingleton<StatsReports>();
        services.AddSingleton<StatsAccessFilter>();
        services.AddBallHealthChecks();
        services.AddBallTelemetry();
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Any byte may arrive in a Cookie header. Decoding them as Latin-1 instead of refusing
            // the request lets a mangled cookie get what any bad cookie gets: a fresh visitor.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
        });
        return services;
    }
}
