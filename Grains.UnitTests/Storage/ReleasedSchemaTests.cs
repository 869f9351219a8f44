using BallOrleans.Grains.Storage;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// What has shipped stays as it shipped: a released migration is never edited (databases that
/// applied it would differ from new ones, and the migrator refuses to start on them), and a change
/// of the function scripts comes with a new <see cref="SchemaMigrator.FunctionsRelease"/>, or an
/// older build could not tell it must leave them alone.
/// </summary>
public sealed class ReleasedSchemaTests
{
    // A new migration adds its line here; a line never changes.
    public static TheoryData<string, string> Released => new()
    {
        { "001_grain_storage.sql", "285a9ef6920870b6642aa83acbd39d43ac6d42d3b9219422d4b393669c2b7336" },
        { "002_clustering.sql", "00c0dcb0545cf04020fc6a64f88d7c042464277e386586b3421ff3cfdf255364" },
        { "003_stats.sql", "e7b04eb5f7ce12d779eb849fd65f4a4946a359d47211e1a4eabb80939ed5a377" },
        { "004_one_visitor_row.sql", "4c21a2f4f3a85ec181ca106fc553a0fc0257c88ad4d6007797776b2663773049" },
        { "005_wide_ledger.sql", "7254a31aa97b3c24d91e88a33aed74a485b60d0c287264770ebb47192ef50165" },
        { "006_erasure_ledger.sql", "934d2b7fa98d3402008c25e5a95cb006c4a94db3cb5719d056e99ebde5366f21" },
        { "007_cookie_keys.sql", "27f1a926682d51131b3ee901944748e58608ec10a2e793464f4703c6b3ebdd4a" },
        { "008_assigned.sql", "f9e5ec02a1137109ebd93ab0a20325320a3b9b213c6bc877f29fb0decf27c1df" },
        { "009_legacy_cookies_used.sql", "37fcfb68c562964e03890e9d1a9f5f0bd488f2059044fd5dec100080111f179a" },
        { "010_stats_journal.sql", "fccf2a6a12b5307d4445de1ce3b383c56e3dd931b033620242788d2c502106ad" },
        { "011_split_check_latched.sql", "4dee0055ed2af30d86bd7d4c599fdc843b5ee0a43ff587991f59a842eb195aef" },
    };

    [Theory]
    [MemberData(nameof(Released))]
    public void A_released_migration_is_never_edited(string name, string sha256)
    {
        var migration = Assert.Single(SchemaMigrator.Migrations, m => m.Name == name);
        Assert.Equal(sha256, SchemaMigrator.Sha256(migration.Sql));
    }

    [Fact]
    public void Every_migration_in_the_build_is_pinned()
    {
        Assert.Equal(Released.Select(row => (string)row[0]), SchemaMigrator.Migrations.Select(m => m.Name));
    }

    [Fact]
    public void The_function_scripts_are_the_release_they_are_numbered()
    {
        // Changed a script? Add one to SchemaMigrator.FunctionsRelease and put both new values here.
        Assert.Equal(
            (2, "d1bda02022727eabf77b682f5a683c4e5894afda2825d3a30094d7c503640d68"),
            (SchemaMigrator.FunctionsRelease, SchemaMigrator.FunctionsHash));
    }
}
