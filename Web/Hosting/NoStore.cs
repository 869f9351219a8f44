namespace BallOrleans.Web.Hosting;

/// <summary>
/// <c>Cache-Control: no-store</c> on every answer of the endpoints marked with
/// <see cref="MarkNoStore{TBuilder}"/> (the admin group), whichever handler makes it: our minimal
/// APIs, the Prometheus exporter and the Orleans Dashboard alike. Set when the answer starts, so a
/// handler's own caching header cannot win.
/// </summary>
public static class NoStore
{
    public static TBuilder MarkNoStore<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.WithMetadata(Marker.Instance);

    public static IApplicationBuilder UseNoStore(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<Marker>() is not null)
            {
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers.CacheControl = "no-store";
                    return Task.CompletedTask;
                });
            }

            return next(context);
        });

    private sealed class Marker
    {
        public static readonly Marker Instance = new();
    }
}
