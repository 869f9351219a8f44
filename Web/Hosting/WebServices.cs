using System.Text;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Stats;
using BallOrleans.Web.Operations;
using BallOrleans.Web.Privacy;
using BallOrleans.Web.Visits;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using BallOrleans.Web.Limits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Web.Hosting;

/// <summary>Services of the web tier itself (its settings: <see cref="WebOptions"/>).</summary>
public static class WebServices
{
    public static IServiceCollection AddBallWeb(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<ColorAssignment>();
        services.AddSingleton<NewVisitorLimit>();
        services.AddSingleton<CookieVisitLimit>();
        services.AddSingleton<VisitService>();
        services.AddSingleton<VisitorErasures>();
        services.AddSingleton<VisitorCookieKeys>();
        services.AddSingleton<LegacyVisitorCookies>();
        services.AddSingleton<VisitorCookies>();
        services.AddSingleton<VisitCounting>();
        services.AddSingleton<ExposureCounting>();
        services.AddBallBots();
        services.AddStatsStore();
        services.TryAddSingleton<VisitorStatsReader>();
        services.TryAddSingleton<RangeStatsReader>();
        services.AddSingleton<RangeStatsCache>();
        services.TryAddSingleton<VisitorPseudonyms>();
        services.AddSingleton<StatsCache>();
        services.AddSingleton<StatsReports>();
        services.AddAdminAccess();
        services.AddBallHealthChecks();
        services.AddBallTelemetry(configuration);
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
