#Requires -Version 7.4
# PiCluster installed as users install it: the staged module (dotnet build -t:Stage) is published to a PSResourceGet
# repository in a temp folder, installed by name into a fresh home, and used from clean pwsh processes.

BeforeAll {
    $RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $Manifest = Import-PowerShellDataFile (Join-Path $RepoRoot 'PiCluster.psd1')
    $Stage = Join-Path $TestDrive 'stage/PiCluster'
    $Feed = Join-Path $TestDrive 'feed'
    # A fresh home: PSResourceGet's repository list and the CurrentUser module path both live under it.
    $FreshHome = Join-Path $TestDrive 'home'
    New-Item -ItemType Directory -Path $Feed, $FreshHome | Out-Null

    $ClusterFile = Join-Path $TestDrive 'cluster.yaml'
    Set-Content -Path $ClusterFile -Value @'
name: installed
nodes:
  - name: cp1
    address: 127.0.0.1
    role: control-plane
  - name: worker1
    address: 127.0.0.2
    role: worker
  - name: worker2
    address: 127.0.0.3
    role: worker
'@

    # Runs a script in a clean pwsh (no profile) with the fresh home; returns what it wrote as JSON.
    function Invoke-CleanPwsh([string] $Script) {
        $pwsh = [Environment]::ProcessPath
        $arguments = @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-Command', $Script)
        if ((Split-Path $pwsh -Leaf) -like 'pwsh*') { $arguments = $arguments[1..($arguments.Count - 1)] }
        $savedHome = $env:HOME
        # In the test drive: Publish-PSResource writes a NuGet/NuGet.Config into the working directory.
        Push-Location $TestDrive
        try {
            $env:HOME = $FreshHome
            $output = & $pwsh @arguments 2>&1
            if ($LASTEXITCODE -ne 0) { throw "clean pwsh failed (exit $LASTEXITCODE):`n$($output -join "`n")" }
        }
        finally {
            $env:HOME = $savedHome
            Pop-Location
        }
        ($output -join "`n") | ConvertFrom-Json
    }

    & dotnet build (Join-Path $RepoRoot 'src/PiCluster/PiCluster.csproj') -t:Stage "-p:StageDir=$Stage/" -nologo -v q |
        Out-String | Write-Verbose
    if ($LASTEXITCODE -ne 0) { throw "dotnet build -t:Stage failed (exit $LASTEXITCODE)" }

    Invoke-CleanPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PiClusterTest -Uri '$Feed' -Trusted
Publish-PSResource -Path '$Stage' -Repository PiClusterTest
Install-PSResource -Name PiCluster -Repository PiClusterTest -TrustRepository -Scope CurrentUser
@{ Installed = (Get-InstalledPSResource -Name PiCluster).InstalledLocation } | ConvertTo-Json
"@ | Out-Null
}

Describe 'The staged manifest' {
    It 'passes Test-ModuleManifest' {
        $info = Test-ModuleManifest -Path (Join-Path $Stage 'PiCluster.psd1') -ErrorAction Stop
        $info.Version | Should -Be ([version]$Manifest.ModuleVersion)
        @($info.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($Manifest.CmdletsToExport | Sort-Object)
    }

    It 'tells the Gallery what it needs, with no placeholder links' {
        $psData = $Manifest.PrivateData.PSData
        $psData.Tags | Should -Contain 'Kubernetes'
        $psData.ReleaseNotes | Should -Not -BeNullOrEmpty
        foreach ($key in 'ProjectUri', 'LicenseUri', 'IconUri', 'ReleaseNotes') {
            "$($psData[$key])" | Should -Not -Match 'example\.(invalid|com|org)' -Because "$key must be real or absent"
        }
    }
}

Describe 'PiCluster installed by name from a PSResourceGet repository' {
    BeforeAll {
        $Installed = Invoke-CleanPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module PiCluster
`$module = Get-Module PiCluster
`$help = foreach (`$name in (Get-Command -Module PiCluster).Name) {
    `$h = Get-Help `$name -Full
    [pscustomobject]@{ Name = `$name; Synopsis = `$h.Synopsis; Examples = @(`$h.Examples.Example).Count }
}
`$line = "Get-PiNode -Path '$ClusterFile' -Name wor"
[pscustomobject]@{
    ModuleBase = `$module.ModuleBase
    Version    = "`$(`$module.Version)"
    Commands   = @((Get-Command -Module PiCluster).Name | Sort-Object)
    Help       = @(`$help)
    About      = (Get-Help about_PiCluster | Out-String)
    Completion = @((TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.CompletionText)
    Table      = (Get-PiNode -Path '$ClusterFile' | Format-Table | Out-String)
    List       = (Get-PiNode -Path '$ClusterFile' -Name cp1 | Format-List | Out-String)
} | ConvertTo-Json -Depth 4
"@
    }

    It 'imports by name from the fresh CurrentUser module path' {
        $Installed.ModuleBase | Should -BeLike "$FreshHome*"
        $Installed.Version | Should -Be $Manifest.ModuleVersion
    }

    It 'lists every cmdlet of the manifest' {
        $Installed.Commands | Should -Be @($Manifest.CmdletsToExport | Sort-Object)
    }

    It 'has written help with examples for every cmdlet, and the about topic' {
        $Installed.Help.Count | Should -Be $Manifest.CmdletsToExport.Count
        foreach ($h in $Installed.Help) {
            $h.Synopsis | Should -Not -BeLike "$($h.Name) *" -Because "$($h.Name) needs its MAML help installed"
            $h.Examples | Should -BeGreaterThan 0 -Because "$($h.Name) needs examples"
        }
        $Installed.About | Should -Match 'about_PiCluster'
    }

    It 'completes -Name from the cluster file' {
        $Installed.Completion | Should -Be @('worker1', 'worker2')
    }

    It 'formats nodes with its own views' {
        $Installed.Table | Should -Match 'Name\s+Role\s+Address'
        $Installed.List | Should -Match 'Name\s+:\s+cp1'
    }
}

Describe 'PiCluster imported by path in a clean pwsh' {
    It 'imports from the repository layout and reads a cluster file' {
        $byPath = Invoke-CleanPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Join-Path $RepoRoot 'PiCluster.psd1')'
@{ Base = (Get-Module PiCluster).ModuleBase; Nodes = @((Get-PiNode -Path '$ClusterFile').Name) } | ConvertTo-Json
"@
        $byPath.Base | Should -Be $RepoRoot
        $byPath.Nodes | Should -Be @('cp1', 'worker1', 'worker2')
    }

    It 'keeps its own YamlDotNet when another module loaded a different one first' {
        $foreign = Join-Path $RepoRoot '.tools/ForeignYamlDotNet/YamlDotNet.dll'
        $foreign | Should -Exist -Because 'the test build lays out YamlDotNet 13.7.1 as the foreign copy'
        $isolation = Invoke-CleanPwsh @"
`$ErrorActionPreference = 'Stop'
`$foreign = [System.Reflection.Assembly]::LoadFrom('$foreign')
Import-Module '$(Join-Path $RepoRoot 'PiCluster.psd1')'
`$nodes = @((Get-PiNode -Path '$ClusterFile').Name)
`$yamls = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object {
    [pscustomobject]@{
        Version = "`$(`$_.GetName().Version)"
        Location = `$_.Location
        Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name
    }
}
@{ Nodes = `$nodes; Foreign = "`$(`$foreign.GetName().Version)"; Yamls = @(`$yamls) } | ConvertTo-Json -Depth 3
"@
        $isolation.Nodes | Should -Be @('cp1', 'worker1', 'worker2')
        $isolation.Foreign | Should -BeLike '13.*'
        $ours = $isolation.Yamls | Where-Object Context -EQ 'PiCluster'
        $ours.Location | Should -Be (Join-Path $RepoRoot 'bin/Dependencies/YamlDotNet.dll')
        $ours.Version | Should -Not -Be $isolation.Foreign
        ($isolation.Yamls | Where-Object Context -EQ 'Default').Version | Should -Be $isolation.Foreign
    }

    It 'keeps its own SSH.NET when another module loaded a different one first' {
        $foreign = Join-Path $RepoRoot '.tools/ForeignSshNet/Renci.SshNet.dll'
        $foreign | Should -Exist -Because 'the test build lays out SSH.NET 2026.0.1 as the foreign copy'
        $port = Get-Random -Minimum 40000 -Maximum 60000
        $isolation = Invoke-CleanPwsh @"
`$ErrorActionPreference = 'Stop'
`$foreign = [System.Reflection.Assembly]::LoadFrom('$foreign')
Import-Module '$(Join-Path $RepoRoot 'PiCluster.psd1')'
`$node = New-PiNode -Name far -Address 127.0.0.1 -Port $port -User pi -SshTransport SshNet
`$null = Invoke-PiCommand -Node `$node -Command 'true' -ErrorVariable failed -ErrorAction SilentlyContinue
`$ssh = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Renci.SshNet' } | ForEach-Object {
    [pscustomobject]@{
        Version = "`$(`$_.GetName().Version)"
        Location = `$_.Location
        Context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name
    }
}
@{ Error = "`$(`$failed[0].FullyQualifiedErrorId)"; Transport = `$node.TransportName; Foreign = `$foreign.Location; SshNet = @(`$ssh) } | ConvertTo-Json -Depth 3
"@
        $isolation.Transport | Should -Be 'SshNet'
        $isolation.Error | Should -BeLike 'NodeUnreachable*' -Because 'our SSH.NET ran (a clash would be a type or method load error)'
        $ours = $isolation.SshNet | Where-Object Context -EQ 'PiCluster'
        $ours.Location | Should -Be (Join-Path $RepoRoot 'bin/Dependencies/Renci.SshNet.dll')
        $ours.Version | Should -BeLike '2026.*'
        ($isolation.SshNet | Where-Object Context -EQ 'Default').Location | Should -Be $isolation.Foreign
    }
}
