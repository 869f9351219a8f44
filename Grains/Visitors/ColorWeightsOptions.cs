using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Visitors;

/// <summary>How new visitors are split between the colors (section <c>Ball</c>).</summary>
public sealed class ColorWeightsOptions
{
    public const string Section = "Ball";

    /// <summary>Relative weight of red for new visitors.</summary>
    [Range(0, 1_000_000)]
    public int RedWeight { get; set; } = 50;

    /// <summary>Relative weight of blue for new visitors.</summary>
    [Range(0, 1_000_000)]
    public int BlueWeight { get; set; } = 50;

    /// <summary>Salt of the assignment hash. Changing it reshuffles only visitors not yet stored.</summary>
    [Required, MinLength(1)]
    public string AssignmentSeed { get; set; } = "ball";

    public int TotalWeight => RedWeight + BlueWeight;
}
