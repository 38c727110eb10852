using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;

namespace PiCluster.Tests.Conventions;

/// <summary>
/// The module's surface, read by reflection over the built PiCluster.dll. Attribute values come from metadata
/// (CustomAttributeData) because PowerShellStandard's attribute classes are stubs that do not keep their arguments.
/// </summary>
public static class ModuleSurface
{
    public static Assembly ModuleAssembly { get; } = typeof(PiCluster.Commands.NewPiNodeCommand).Assembly;

    public static IReadOnlyList<Cmdlet> Cmdlets { get; } = ModuleAssembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(PSCmdlet).IsAssignableFrom(t) && Attribute<CmdletAttribute>(t) is not null)
        .Select(t => new Cmdlet(t)).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every approved verb: the constants of the Verbs* classes.</summary>
    public static IReadOnlySet<string> ApprovedVerbs { get; } = new[]
        {
            typeof(VerbsCommon), typeof(VerbsData), typeof(VerbsLifecycle), typeof(VerbsDiagnostic),
            typeof(VerbsCommunications), typeof(VerbsSecurity), typeof(VerbsOther),
        }
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        // The 5.1 reference assembly predates the verbs PowerShell 6 approved; the module needs 7.4 (Get-Verb lists them).
        .Concat(new[] { "Build", "Deploy" })
        .ToHashSet(StringComparer.Ordinal);

    public static CustomAttributeData? Attribute<T>(MemberInfo member) =>
        member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(T));

    public static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => a.TypedValue.Value).FirstOrDefault();

    /// <summary>CmdletsToExport of PiCluster.psd1, parsed from its text.</summary>
    public static IReadOnlyList<string> ManifestCmdlets()
    {
        var text = System.IO.File.ReadAllText(ModulePaths.Manifest);
        var list = Regex.Match(text, @"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)");
        if (!list.Success) throw new InvalidOperationException("PiCluster.psd1 has no CmdletsToExport = @(...).");
        return Regex.Matches(list.Groups["list"].Value, @"'([^']+)'").Select(m => m.Groups[1].Value).ToList();
    }

    public static string ManifestValue(string key) =>
        Regex.Match(System.IO.File.ReadAllText(ModulePaths.Manifest), key + @"\s*=\s*'([^']*)'").Groups[1].Value;

    public sealed class Cmdlet
    {
        public Cmdlet(Type type)
        {
            Type = type;
            var cmdlet = Attribute<CmdletAttribute>(type)!;
            Verb = (string)cmdlet.ConstructorArguments[0].Value!;
            Noun = (string)cmdlet.ConstructorArguments[1].Value!;
            SupportsShouldProcess = Named(cmdlet, nameof(CmdletAttribute.SupportsShouldProcess)) is true;
            DefaultParameterSetName = Named(cmdlet, nameof(CmdletAttribute.DefaultParameterSetName)) as string;
            OutputTypes = type.GetCustomAttributesData().Where(a => a.AttributeType == typeof(OutputTypeAttribute))
                .SelectMany(a => a.ConstructorArguments)
                .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value) : new[] { arg.Value })
                .OfType<Type>().ToList();
            Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType == typeof(ParameterAttribute)))
                .ToList();
        }

        public Type Type { get; }
        public string Verb { get; }
        public string Noun { get; }
        public string Name => Verb + "-" + Noun;
        public bool SupportsShouldProcess { get; }
        public string? DefaultParameterSetName { get; }

        /// <summary>The parameter's position as help writes it: "Named", or the number.</summary>
        public static string PositionOf(PropertyInfo parameter)
        {
            var positions = parameter.GetCustomAttributesData().Where(a => a.AttributeType == typeof(ParameterAttribute))
                .Select(a => Named(a, nameof(ParameterAttribute.Position))).OfType<int>().Distinct().ToList();
            return positions.Count == 1 ? positions[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "Named";
        }
        public IReadOnlyList<Type> OutputTypes { get; }
        public IReadOnlyList<PropertyInfo> Parameters { get; }

        /// <summary>What help must document: the cmdlet's parameters, plus -WhatIf and -Confirm when it supports ShouldProcess.</summary>
        public IReadOnlyList<string> DocumentedParameterNames =>
            Parameters.Select(p => p.Name).Concat(SupportsShouldProcess ? new[] { "WhatIf", "Confirm" } : Array.Empty<string>())
                .OrderBy(n => n, StringComparer.Ordinal).ToList();

        public override string ToString() => Name;
    }
}
