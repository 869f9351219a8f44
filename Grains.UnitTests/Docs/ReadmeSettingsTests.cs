using System.Reflection;
using System.Text.RegularExpressions;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Docs;

/// <summary>
/// The README's configuration table against the code, with no database: every setting it names
/// exists, and every setting an operator may give one of our options classes has a row.
/// </summary>
public sealed partial class ReadmeSettingsTests
{
    /// <summary>Settings the README documents that no options class of ours binds, each with who reads it.</summary>
    private static readonly string[] NotOurOptions =
    [
        $"ConnectionStrings__{PostgresConnection.ConfigKey}", // PostgresConnection, beside the PG* variables
        $"ConnectionStrings__{PostgresConnection.OwnerConfigKey}", // PostgresConnection.ResolveOwner, for migrate and the maintenance commands
        "--urls", // ASP.NET Core's host
        $"{ClusterMembership.Section.Replace(":", "__", StringComparison.Ordinal)}__*", // Orleans' ClusterMembershipOptions, passed through whole
        "Logging__Console__FormatterName", // Microsoft.Extensions.Logging
        "DOTNET_SHUTDOWNTIMEOUTSECONDS", // the .NET host's shutdown timeout
    ];

    /// <summary>
    /// Settable properties of options classes that are not the operator's to set, so need no row,
    /// as "Section__Property" with the reason. None today: every one has a row.
    /// </summary>
    private static readonly string[] Internal = [];

    /// <summary>Types named *Options that bind no section: the registration helpers.</summary>
    private static readonly string[] NotBound = [nameof(BallOptions), nameof(WebOptions)];

    [Fact]
    public void Every_setting_in_the_readme_exists_and_every_operator_setting_has_a_row()
    {
        var documented = ReadmeSettings();
        var bound = OptionsSettings();

        var unknown = documented.Except(bound).Except(NotOurOptions).ToList();
        Assert.True(unknown.Count == 0, $"in the README but in no options class: {string.Join(", ", unknown)}");
        var undocumented = bound.Except(documented).Except(Internal).ToList();
        Assert.True(undocumented.Count == 0, $"options without a README row: {string.Join(", ", undocumented)}");
        var stale = NotOurOptions.Except(documented).ToList();
        Assert.True(stale.Count == 0, $"listed here as documented, but not in the README: {string.Join(", ", stale)}");
    }

    [Fact]
    public void Every_options_class_names_its_section()
    {
        // A class bound without a Section constant would escape the check above.
        var unnamed = OptionsTypes().Where(t => t.GetField("Section") is not { IsLiteral: true }).Select(t => t.Name);
        Assert.Equal(NotBound.Order(), unnamed.Order());
    }

    /// <summary>The names in the first column of the README's configuration table; a list's <c>__N</c> dropped.</summary>
    private static List<string> ReadmeSettings()
    {
        var readme = File.ReadAllLines(Path.Combine(Repository.Root(), "README.md"));
        var rows = readme.SkipWhile(l => l != "## Configuration").Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal));
        var names = rows.SelectMany(row => Backticked().Matches(row.Split('|')[1]).Select(m => m.Groups[1].Value))
            .Select(name => name.EndsWith("__N", StringComparison.Ordinal) ? name[..^3] : name)
            .ToList();
        Assert.NotEmpty(names);
        return names;
    }

    /// <summary>Section__Property of every public settable property of every options class in Grains and Web.</summary>
    private static List<string> OptionsSettings() =>
        OptionsTypes()
            .Where(t => t.GetField("Section") is { IsLiteral: true })
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true })
                .Select(p => $"{((string)t.GetField("Section")!.GetRawConstantValue()!).Replace(":", "__", StringComparison.Ordinal)}__{p.Name}"))
            .ToList();

    private static IEnumerable<Type> OptionsTypes() =>
        new[] { typeof(BallOptions).Assembly, typeof(WebOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal));

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();
}
