; Inno Setup definition of the Windows installer (per-machine install).
; Built by .github/workflows/bundles.yml on a Windows runner after PyInstaller made dist\mroqc-desk.
; It cannot be built on the Linux development machine; see docs/packaging.md.
;
; Silent install for IT:   mroqc-desk-setup-<ver>.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Silent uninstall:        "C:\Program Files\MROQC Facility Desk\unins000.exe" /VERYSILENT
; The uninstaller removes the program only: each user's database in %LOCALAPPDATA%\MROQC\
; MROQC Facility Desk is never touched.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6C1B8E0B-3F0E-4D55-9A8E-0D5B5A3C7E21}
AppName=MROQC Facility Desk
AppVersion={#AppVersion}
AppPublisher=MROQC Facility Desk team
DefaultDirName={autopf}\MROQC Facility Desk
DefaultGroupName=MROQC Facility Desk
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=mroqc-desk-setup-{#AppVersion}
SetupIconFile=mroqc-desk.ico
UninstallDisplayIcon={app}\mroqc-desk.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
DisableProgramGroupPage=yes

[Files]
Source: "..\..\dist\mroqc-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\MROQC Facility Desk"; Filename: "{app}\mroqc-desk.exe"
Name: "{group}\Uninstall MROQC Facility Desk"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\mroqc-desk.exe"; Description: "Start MROQC Facility Desk"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] entries for user data on purpose: the database outlives the program.
