from zhidu.cli import main

main()
