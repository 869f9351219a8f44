using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;

namespace BallOrleans.Web;

/// <summary>Command-line verbs of the Web program: <c>dotnet run --project Web -- migrate</c>.</summary>
internal static class Commands
{
    public static async Task<int> RunAsync(string command, WebApplicationBuilder builder)
    {
        switch (command)
        {
            case "migrate":
                builder.Services.AddBallDatabase(builder.Configuration);
                await using (var app = builder.Build())
                {
                    await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
                }

                Console.WriteLine("ball: schema is up to date");
                return 0;
            default:
                Console.Error.WriteLine($"ball: unknown command '{command}' (known: migrate)");
                return 2;
        }
    }
}
