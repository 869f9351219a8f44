using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// The hosts' logging (<see cref="BallLogging.AddBallLogging"/>) against the console's own
/// formatters, simple and JSON, with scopes on: an entry of any category that carries a visitor id
/// in its message, a structured value, a scope or its exception is written without it.
/// </summary>
public sealed class RedactedLoggingTests
{
    [Fact]
    public void No_part_of_an_entry_of_any_category_reaches_a_provider_with_a_visitor_id()
    {
        var id = VisitorId.NewId();
        var (factory, rendered) = Logging();
        using (factory)
        {
            var logger = factory.CreateLogger("Orleans.Runtime.CallbackData");
            using (logger.BeginScope(new Dictionary<string, object?> { ["Target"] = $"visitor/{id}" }))
            using (logger.BeginScope($"call to visitor/{id}"))
            {
                var failure = new InvalidOperationException($"Call to visitor/{id} failed", new TimeoutException($"visitor/{id} did not answer"));
                logger.LogWarning(failure, "Response for {Message} did not arrive after {Attempts} attempts", $"Request ->[visitor/{id}]", 3);
            }
        }

        var lines = rendered.Lines;
        Assert.Contains(lines, l => l.StartsWith("simple:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("json:", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.DoesNotContain(id, line, StringComparison.Ordinal));
        var json = Assert.Single(lines, l => l.StartsWith("json:", StringComparison.Ordinal));
        // Each part is still there, with the marker where the id was; numbers stay numbers.
        Assert.Contains("\"Message\":\"Response for Request -\\u003E[visitor/[visitor id]] did not arrive after 3 attempts\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Message\":\"Request -\\u003E[visitor/[visitor id]]\"", json, StringComparison.Ordinal);
        Assert.Contains("\"Attempts\":3", json, StringComparison.Ordinal);
        Assert.Contains("\"Target\":\"visitor/[visitor id]\"", json, StringComparison.Ordinal);
        Assert.Contains("call to visitor/[visitor id]", json, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: Call to visitor/[visitor id] failed", json, StringComparison.Ordinal);
        Assert.Contains("System.TimeoutException: visitor/[visitor id] did not answer", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_level_no_provider_writes_is_not_formatted_at_all()
    {
        var (factory, rendered) = Logging();
        using (factory)
        {
            var formatted = 0;
            factory.CreateLogger("Orleans").Log(LogLevel.Trace, default, "state", null, (_, _) => $"{++formatted}");
            Assert.Equal(0, formatted);
        }

        Assert.Empty(rendered.Lines);
    }

    /// <summary>A logger factory as the hosts make it, whose only provider renders with the console's formatters.</summary>
    private static (ILoggerFactory Factory, RenderedLogs Rendered) Logging()
    {
        var rendered = new RenderedLogs();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.AddConsole(); // for its formatters
            logging.AddBallLogging();
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.Services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
            logging.Services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
        });
        // Only the rendering provider: the console's own would print to the test's output.
        services.RemoveAll<ILoggerProvider>();
        services.AddSingleton<ILoggerProvider>(sp => new RenderedLogs.Provider(rendered,
            sp.GetServices<ConsoleFormatter>().Where(f => f.Name is ConsoleFormatterNames.Simple or ConsoleFormatterNames.Json)));
        var provider = services.BuildServiceProvider();
        return (new OwningFactory(provider), rendered);
    }

    /// <summary>The container's logger factory, disposed with the container.</summary>
    private sealed class OwningFactory(ServiceProvider services) : ILoggerFactory
    {
        private readonly ILoggerFactory _inner = services.GetRequiredService<ILoggerFactory>();

        public ILogger CreateLogger(string categoryName) => _inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => _inner.AddProvider(provider);

        public void Dispose() => services.Dispose();
    }
}
