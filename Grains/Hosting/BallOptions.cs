using System.ComponentModel.DataAnnotations;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// The one place the settings that silos and the web tier share are bound and validated: each
/// options class once per host, checked at start, read everywhere else through <see cref="IOptions{T}"/>.
/// </summary>
public static class BallOptions
{
    public static IServiceCollection AddBallOptions(this IServiceCollection services, IConfiguration configuration)
    {
        // A co-hosting web process and its silo share one container, and both ask for the options.
        if (services.Any(d => d.ServiceType == typeof(Registered)))
        {
            return services;
        }

        services.AddSingleton<Registered>();
        services.AddValidatedOptions<BallClusterOptions>(configuration, BallClusterOptions.Section);
        services.AddValidatedOptions<ColorWeightsOptions>(configuration, ColorWeightsOptions.Section)
            .Validate(o => o.TotalWeight > 0, "Ball:RedWeight + Ball:BlueWeight must be above zero");
        services.AddValidatedOptions<StatsOptions>(configuration, StatsOptions.Section);
        services.AddValidatedOptions<SiloMetricsOptions>(configuration, SiloMetricsOptions.Section);
        services.AddValidatedOptions<VisitorStorageOptions>(configuration, VisitorStorageOptions.Section);
        services.AddValidatedOptions<RetentionOptions>(configuration, RetentionOptions.Section);
        return services;
    }

    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/>, checked by its attributes when the host starts.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class =>
        services.AddOptions<T>()
            .Bind(configuration.GetSection(section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

    /// <summary>
    /// The values of <typeparamref name="T"/>, checked by its attributes, before any container
    /// exists: only for the settings that decide which services to register (the mode, the
    /// dashboard, Kubernetes, the endpoints), where <see cref="IOptions{T}"/> comes too late.
    /// </summary>
    public static T Get<T>(IConfiguration configuration, string section)
        where T : class, new()
    {
        var options = configuration.GetSection(section).Get<T>() ?? new T();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new OptionsValidationException(section, typeof(T), errors.Select(e => $"{section}: {e.ErrorMessage}"));
        }

        return options;
    }

    private sealed class Registered;
}
