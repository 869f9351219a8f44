using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Admin;

/// <summary>
/// Refuses, at start, an admin password that falls to guessing: short, made of a few characters
/// repeated, or a placeholder copied from an example (deploy/k8s/examples/secret.example.yaml, the docs).
/// No password at all is fine: then the admin pages answer loopback clients only.
/// </summary>
/// <remarks>
/// Not a strength estimate: these rules catch the passwords that get deployed by mistake. A
/// password from a generator (<c>openssl rand -base64 24</c>) passes them all.
/// </remarks>
public sealed class AdminPasswordPolicy : IValidateOptions<AdminOptions>
{
    public const int MinimumLength = 16;
    public const int MinimumDistinctCharacters = 8;

    public const string TooShort =
        "Stats:AdminPassword is shorter than 16 characters: set a longer one, or none (then the admin pages answer loopback clients only)";

    public const string TooFewDistinctCharacters =
        "Stats:AdminPassword has fewer than 8 different characters: use a generated one (openssl rand -base64 24)";

    public const string Placeholder =
        "Stats:AdminPassword is a placeholder from an example: use a generated one (openssl rand -base64 24)";

    // Words of the placeholders in our examples and the usual ones, compared with letters and
    // digits only, lower case: "Change-Me!" is "changeme".
    private static readonly string[] PlaceholderWords =
        ["changeme", "replaceme", "placeholder", "example", "atleast", "password", "secret", "admin"];

    /// <summary>Why <paramref name="password"/> is refused, or null when it is not (no password included).</summary>
    public static string? Problem(string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return null;
        }

        if (password.Length < MinimumLength)
        {
            return TooShort;
        }

        if (password.Distinct().Count() < MinimumDistinctCharacters)
        {
            return TooFewDistinctCharacters;
        }

        var letters = new string(password.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        return PlaceholderWords.Any(word => letters.Contains(word, StringComparison.Ordinal)) ? Placeholder : null;
    }

    public ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        Problem(options.AdminPassword) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
