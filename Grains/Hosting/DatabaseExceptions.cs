using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace BallOrleans.Grains.Hosting;

/// <summary>Lets Npgsql's exceptions cross the wire, so callers can tell "the database failed" from "the cluster failed".</summary>
public static class DatabaseExceptions
{
    /// <remarks>
    /// Without this, a grain whose state cannot be read (its activation fails while PostgreSQL is
    /// down) answers with a serializer error instead of the NpgsqlException, slowly; the web tier
    /// must see a database failure to answer 503 at once rather than retry.
    /// </remarks>
    public static IServiceCollection AddDatabaseExceptionSerialization(this IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(o =>
        {
            if (!o.SupportedNamespacePrefixes.Contains("Npgsql"))
            {
                o.SupportedNamespacePrefixes.Add("Npgsql");
            }
        });
}
