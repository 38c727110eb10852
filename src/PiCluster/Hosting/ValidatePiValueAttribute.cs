using System;
using System.Management.Automation;
using PiCluster.Clusters;

namespace PiCluster.Hosting;

/// <summary>The kinds of value a parameter can take, each checked by its rule in <see cref="ValueRules"/>.</summary>
/// <remarks>Declared here, not in PiCluster.Core: PowerShell reads parameter attributes before Core can be loaded.</remarks>
public enum PiValue
{
    /// <summary>A node name (<see cref="ValueRules.NodeName"/>).</summary>
    NodeName,

    /// <summary>Where ssh reaches a node (<see cref="ValueRules.Address"/>).</summary>
    Address,

    /// <summary>A static LAN address (<see cref="ValueRules.LanAddress"/>).</summary>
    LanAddress,

    /// <summary>An SSH login name (<see cref="ValueRules.SshUser"/>).</summary>
    SshUser,

    /// <summary>A local file (<see cref="ValueRules.FilePath"/>).</summary>
    FilePath,

    /// <summary>A network interface name (<see cref="ValueRules.InterfaceName"/>).</summary>
    Interface,

    /// <summary>A default gateway (<see cref="ValueRules.Gateway"/>).</summary>
    Gateway,

    /// <summary>A DNS server (<see cref="ValueRules.DnsServer"/>).</summary>
    DnsServer,

    /// <summary>An NTP server (<see cref="ValueRules.NtpServer"/>).</summary>
    NtpServer,

    /// <summary>A Kubernetes version (<see cref="ValueRules.KubernetesVersionText"/>).</summary>
    KubernetesVersion,
}

/// <summary>
/// Checks each value of a parameter with the same rule the cluster file's field has, so a bad value stops the command at
/// binding (a ParameterBindingValidationException naming the parameter), before any node is contacted.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePiValueAttribute : ValidateEnumeratedArgumentsAttribute
{
    /// <summary>Checks the parameter's values as <paramref name="kind"/>.</summary>
    public ValidatePiValueAttribute(PiValue kind) => Kind = kind;

    /// <summary>The rule the values follow.</summary>
    public PiValue Kind { get; }

    /// <inheritdoc />
    protected override void ValidateElement(object element)
    {
        var text = (element is PSObject wrapped ? wrapped.BaseObject : element)?.ToString() ?? "";
        if (Check(Kind, text) is { } problem)
            throw new ValidationMetadataException(problem);
    }

    /// <summary>What is wrong with <paramref name="value"/> as a <paramref name="kind"/>, or null.</summary>
    internal static string? Check(PiValue kind, string value) => kind switch
    {
        PiValue.NodeName => ValueRules.NodeName(value),
        PiValue.Address => ValueRules.Address(value),
        PiValue.LanAddress => ValueRules.LanAddress(value),
        PiValue.SshUser => ValueRules.SshUser(value),
        PiValue.FilePath => ValueRules.FilePath(value),
        PiValue.Interface => ValueRules.InterfaceName(value),
        PiValue.Gateway => ValueRules.Gateway(value),
        PiValue.DnsServer => ValueRules.DnsServer(value),
        PiValue.NtpServer => ValueRules.NtpServer(value),
        PiValue.KubernetesVersion => ValueRules.KubernetesVersionText(value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no rule for this kind of value"),
    };
}
