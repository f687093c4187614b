[playlist]
NumberOfEntries=3
File2=file:///srv/Music/Other/%22quoted%22%20song.mp3
file1 = Artist & Co/Album <1>/01 tone.ogg
Title1=Tone
File3=/srv/Music/./Artist & Co/../Other/"quoted" song.mp3
Version=2
