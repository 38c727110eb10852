#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite with the Pester that the test build restored from NuGet (.tools/Modules).
.DESCRIPTION
    The xUnit tests in tests/PiCluster.Tests/Pester call this once for the suite without the lab (-ExcludeTag Lab) and
    once against the lab (-Tag Lab, with PICLUSTER_LAB_CLUSTER naming the lab's cluster file). By hand, after
    `dotnet build`:  dotnet tool run pwsh -- -NoProfile -File tests/Pester/run.ps1 -ExcludeTag Lab
    Exits 0 when every test passed, 1 otherwise; -ResultPath writes NUnit XML for CI's counts.
#>
param(
    [string[]] $Tag,
    [string[]] $ExcludeTag,
    [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
$repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$tools = Join-Path $repoRoot '.tools/Modules'
$env:PSModulePath = $tools + [IO.Path]::PathSeparator + $env:PSModulePath
Import-Module Pester -RequiredVersion 5.9.1

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($Tag) { $configuration.Filter.Tag = $Tag }
if ($ExcludeTag) { $configuration.Filter.ExcludeTag = $ExcludeTag }
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputFormat = 'NUnitXml'
    $configuration.TestResult.OutputPath = $ResultPath
}
$result = Invoke-Pester -Configuration $configuration
'pester: {0} passed, {1} failed, {2} skipped' -f $result.PassedCount,
    ($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount), $result.SkippedCount
exit ([int]($result.Result -ne 'Passed' -or $result.TotalCount -eq 0))
