using BallOrleans.Grains.Storage;
using Orleans.Runtime;

namespace BallOrleans.Grains.Hosting;

/// <summary>Runs the schema migration first thing in the silo's start, before membership and storage read their tables.</summary>
internal sealed class SchemaMigrationStartup(SchemaMigrator migrator) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchemaMigrationStartup), ServiceLifecycleStage.First, migrator.MigrateAsync);
}
