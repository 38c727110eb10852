using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using PiCluster.Clusters;
using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>
/// What may be given to -Node: a PiNode, anything with a <c>Node</c> property holding one (StepResult, CheckResult,
/// CommandOutput... so results chain into the next cmdlet), a node rebuilt from its properties (a PiNode that went
/// through serialization, e.g. Import-Clixml or a remote session), or a collection of these.
/// </summary>
internal static class NodeArgument
{
    /// <summary>
    /// The nodes in <paramref name="value"/>. <paramref name="unwrap"/> strips a wrapper (PSObject in the cmdlet) and
    /// <paramref name="propertyOf"/> reads a named property; <see cref="Extract(object?)"/> passes plain-object versions.
    /// </summary>
    public static List<PiNode> Extract(object? value, Func<object?, object?> unwrap, Func<object, string, object?> propertyOf)
    {
        var walker = new Walker(unwrap, propertyOf);
        walker.Add(value, depth: 0);
        return walker.Nodes;
    }

    /// <summary>The nodes in a plain .NET value.</summary>
    public static List<PiNode> Extract(object? value) => Extract(value, v => v, ReflectedProperty);

    /// <summary>Reads a public instance property by reflection.</summary>
    public static object? ReflectedProperty(object target, string name) =>
        target.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(target);

    private sealed class Walker(Func<object?, object?> unwrap, Func<object, string, object?> propertyOf)
    {
        public List<PiNode> Nodes { get; } = new();

        public void Add(object? value, int depth)
        {
            switch (unwrap(value))
            {
                case null:
                    throw new ArgumentException("A node cannot be null.");
                case PiNode node:
                    Nodes.Add(node);
                    return;
                case string text:
                    throw new ArgumentException($"'{ValueRules.Show(text)}' is not a node. Use Get-PiNode or New-PiNode to make one.");
                case IEnumerable many when depth == 0:
                    foreach (var item in many) Add(item, depth + 1);
                    return;
                case var other when depth < 2 && propertyOf(other, "Node") is { } inner:
                    Add(inner, depth + 1);
                    return;
                case var other:
                    Nodes.Add(FromProperties(other)
                        ?? throw new ArgumentException($"A {other.GetType().Name} is neither a node nor has a Node property."));
                    return;
            }
        }

        /// <summary>Rebuilds a node from an object that carries a PiNode's properties (Name and Address at least).</summary>
        private PiNode? FromProperties(object value)
        {
            string? Text(string name) => unwrap(propertyOf(value, name))?.ToString() is { Length: > 0 } s ? s : null;
            var name = Text(nameof(PiNode.Name));
            var address = Text(nameof(PiNode.Address));
            if (name is null || address is null) return null;
            // A value that is there but wrong is refused, never replaced by a default; PiNode checks the rest.
            var roleText = Text(nameof(PiNode.Role));
            var role = NodeRole.Worker;
            if (roleText is not null && !(Enum.TryParse(roleText.Replace("-", ""), ignoreCase: true, out role) && Enum.IsDefined(typeof(NodeRole), role)
                    && !char.IsDigit(roleText[0])))
                throw new ArgumentException($"Role '{ValueRules.Show(roleText)}' is not a node role: choose ControlPlane or Worker.");
            var portText = Text(nameof(PiNode.Port));
            int? port = null;
            if (portText is not null)
                port = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                    ? p
                    : throw new ArgumentException($"Port '{ValueRules.Show(portText)}' is not a number: give a port from {ValueRules.MinPort} to {ValueRules.MaxPort}.");
            return new PiNode(name, address, role, Text(nameof(PiNode.User)), port, Text(nameof(PiNode.IdentityFile)),
                Text(nameof(PiNode.ConfigFile)), Text(nameof(PiNode.LanAddress)));
        }
    }
}
