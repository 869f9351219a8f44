using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Hosting;

/// <summary>Tells a bad setting (the operator's to fix, said in one line) from a failure that needs its stack trace.</summary>
public static class StartupErrors
{
    public static bool IsConfigurationError(Exception exception, out IReadOnlyList<string> failures)
    {
        // Several options classes failing at start come wrapped in one AggregateException.
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : [exception];
        failures = inner.OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        return failures.Count > 0 && inner.All(e => e is OptionsValidationException);
    }
}
